package io.jweave.tunnel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    @Test
    void inOrderAndDuplicates() {
        ReplayWindow w = new ReplayWindow();
        for (long i = 0; i < 10_000; i++) {
            assertTrue(w.check(i));
            assertTrue(w.update(i));
            assertFalse(w.check(i));
            assertFalse(w.update(i));
        }
    }

    @Test
    void outOfOrderWithinWindow() {
        ReplayWindow w = new ReplayWindow();
        assertTrue(w.update(3000));
        for (long i = 2999; i >= 0; i--) {
            assertTrue(w.update(i), "counter " + i);
        }
        for (long i = 0; i <= 3000; i++) {
            assertFalse(w.check(i));
        }
        assertTrue(ReplayWindow.WINDOW >= 2048);
    }

    @Test
    void tooOld() {
        ReplayWindow w = new ReplayWindow();
        assertTrue(w.update(10_000));
        assertFalse(w.check(10_000 - ReplayWindow.WINDOW));
        assertTrue(w.check(10_000 - ReplayWindow.WINDOW + 1));
        assertFalse(w.check(0));
        assertFalse(w.check(-1));
    }

    @Test
    void bigJumpsClearTheBitmap() {
        ReplayWindow w = new ReplayWindow();
        assertTrue(w.update(5));
        assertTrue(w.update(1_000_000));
        // a counter equal to an old one modulo the ring size must not look seen
        assertTrue(w.check(1_000_000 - 64 * 64 + 5 + 64));
        assertTrue(w.update(1L << 40));
        assertFalse(w.check(1_000_000));
        assertTrue(w.check((1L << 40) - 1));
        assertTrue(w.update((1L << 40) - 1));
        assertFalse(w.update((1L << 40) - 1));
        assertTrue(w.update(Long.MAX_VALUE - 1));
        assertFalse(w.check(Long.MAX_VALUE - 1));
    }

    @Test
    void fullRingWordBoundaries() {
        ReplayWindow w = new ReplayWindow();
        for (long i = 0; i < 100_000; i += 63) {
            assertTrue(w.update(i));
        }
        for (long i = 100_000 - 2000; i < 100_000; i++) {
            assertTrue(w.check(i) == (i % 63 != 0), "counter " + i);
        }
    }
}
