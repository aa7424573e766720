package io.jweave.tunnel;

/**
 * Sliding anti-replay window over 64-bit counters, RFC 6479 style: a ring of 64-bit words; moving
 * forward clears whole words. Accepts any counter within {@link #WINDOW} of the highest seen.
 * Check before decrypting, {@link #update} only after authentication. Not thread-safe.
 */
final class ReplayWindow {
    private static final int WORDS = 64;               // power of two
    private static final int MASK = WORDS - 1;
    /** Counters this far behind the highest are still accepted once: 4032. */
    static final long WINDOW = (WORDS - 1) * 64L;

    private final long[] bitmap = new long[WORDS];
    private long last; // highest counter seen (0 before any)

    /** True if counter is new and not too old. Counters are unsigned 64-bit; negative longs are refused. */
    boolean check(long counter) {
        if (counter < 0) {
            return false;
        }
        if (counter > last) {
            return true;
        }
        if (last - counter >= WINDOW) {
            return false;
        }
        return (bitmap[(int) (counter >>> 6) & MASK] & (1L << (counter & 63))) == 0;
    }

    /** Records an authenticated counter; returns false if it was a replay after all. */
    boolean update(long counter) {
        if (!check(counter)) {
            return false;
        }
        if (counter > last) {
            long curWord = last >>> 6;
            long newWord = counter >>> 6;
            long diff = Math.min(newWord - curWord, WORDS);
            for (long i = 1; i <= diff; i++) {
                bitmap[(int) ((curWord + i) & MASK)] = 0;
            }
            last = counter;
        }
        bitmap[(int) (counter >>> 6) & MASK] |= 1L << (counter & 63);
        return true;
    }
}
