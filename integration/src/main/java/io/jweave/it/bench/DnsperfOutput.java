package io.jweave.it.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the DNS benchmarks read from dnsperf's output (dnsperf 2.x, Debian's package). */
final class DnsperfOutput {
    private static final Pattern QPS = Pattern.compile("Queries per second:\\s+([0-9.]+)");
    private static final Pattern COMPLETED = Pattern.compile("Queries completed:\\s+(\\d+)");
    private static final Pattern LOST = Pattern.compile("Queries lost:\\s+(\\d+)");
    /** A line of {@code dnsperf -v}: {@code > NOERROR name A 0.000123} (latency in seconds). */
    private static final Pattern VERBOSE = Pattern.compile("^> \\S+ .* ([0-9]+\\.[0-9]+)$");

    private DnsperfOutput() {
    }

    /** "Queries per second"; throws with the output when dnsperf printed none. */
    static double qps(String out) {
        Matcher m = QPS.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no 'Queries per second' in dnsperf output:\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    static long completed(String out) {
        return count(COMPLETED, out);
    }

    static long lost(String out) {
        return count(LOST, out);
    }

    /** Per-query latencies in milliseconds from {@code dnsperf -v} output (empty if it printed none). */
    static List<Double> latenciesMs(String verboseOut) {
        List<Double> ms = new ArrayList<>();
        for (String line : verboseOut.split("\n")) {
            Matcher m = VERBOSE.matcher(line);
            if (m.matches()) {
                ms.add(Double.parseDouble(m.group(1)) * 1000);
            }
        }
        return ms;
    }

    private static long count(Pattern p, String out) {
        Matcher m = p.matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
