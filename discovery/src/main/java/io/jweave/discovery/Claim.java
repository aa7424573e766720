package io.jweave.discovery;

import java.util.Objects;

/**
 * A cluster-unique claim on {@code key}.
 *
 * @param key        what is claimed (e.g. {@code block/100.64.10.0/24/100.64.10.64/26})
 * @param holder     the host holding it, or {@code null} for a released claim (a tombstone that
 *                   remembers the generation)
 * @param generation bumped each time the key is granted again after a release or reclaim; a
 *                   higher generation always wins
 * @param epoch      wall-clock millis of the grant on the claiming host (a tie-break only)
 */
public record Claim(String key, String holder, long generation, long epoch) {

    public Claim {
        Objects.requireNonNull(key, "key");
        if (generation < 1) {
            throw new IllegalArgumentException("generation must be >= 1");
        }
    }

    public boolean released() {
        return holder == null;
    }

    /**
     * The deterministic merge order: the claim that survives when two disagree. Higher generation
     * wins; at equal generation a release beats a grant (the release came later), then the
     * earlier grant wins, then the smaller host name.
     */
    static Claim winner(Claim a, Claim b) {
        if (a.generation != b.generation) {
            return a.generation > b.generation ? a : b;
        }
        if (a.released() != b.released()) {
            return a.released() ? a : b;
        }
        if (a.released()) {
            return a;
        }
        if (a.epoch != b.epoch) {
            return a.epoch < b.epoch ? a : b;
        }
        return a.holder.compareTo(b.holder) <= 0 ? a : b;
    }

    boolean sameGrant(Claim o) {
        return o != null && generation == o.generation && Objects.equals(holder, o.holder);
    }

    String encode() {
        return key + "\t" + (holder == null ? "" : holder) + "\t" + generation + "\t" + epoch;
    }

    static Claim decode(String s) {
        String[] f = s.split("\t", -1);
        return new Claim(f[0], f[1].isEmpty() ? null : f[1], Long.parseLong(f[2]), Long.parseLong(f[3]));
    }
}
