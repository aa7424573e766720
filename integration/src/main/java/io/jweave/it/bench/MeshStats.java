package io.jweave.it.bench;

import java.util.Arrays;
import java.util.List;

/** Order statistics for benchmark tables (nearest-rank percentiles, no interpolation). */
final class MeshStats {
    private MeshStats() {
    }

    static double[] of(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double median(double[] a) {
        if (a.length == 0) {
            return Double.NaN;
        }
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Nearest-rank percentile: the smallest sample with at least p % of the samples at or below it. */
    static double percentile(double[] a, double p) {
        if (a.length == 0) {
            return Double.NaN;
        }
        double[] s = a.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    static double min(double[] a) {
        return Arrays.stream(a).min().orElse(Double.NaN);
    }

    static double max(double[] a) {
        return Arrays.stream(a).max().orElse(Double.NaN);
    }
}
