package io.jweave.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PathVerdictTest {

    private static int feed(PathVerdict v, int rounds, boolean small, boolean big) {
        int changes = 0;
        for (int i = 0; i < rounds; i++) {
            if (v.round(small, big)) {
                changes++;
            }
        }
        return changes;
    }

    @Test
    void aBlockedPathFailsAfterFourRoundsAndHealsAfterTwenty() {
        PathVerdict v = new PathVerdict();
        feed(v, 30, true, true);
        assertTrue(v.usable());
        feed(v, PathVerdict.FAIL_ROUNDS - 1, false, false);
        assertTrue(v.usable(), "three lost rounds are not enough");
        assertTrue(v.round(false, false), "the fourth lost round fails the path");
        assertFalse(v.usable());
        assertEquals(PathVerdict.Failure.BLOCKED, v.failure());
        feed(v, PathVerdict.HEAL_ROUNDS - 1, true, true);
        assertFalse(v.usable(), "19 answered rounds are not enough");
        assertTrue(v.round(true, true));
        assertTrue(v.usable());
        assertNull(v.failure());
        assertEquals(2, v.switches());
    }

    @Test
    void smallAnsweredBigLostIsABlackHole() {
        PathVerdict v = new PathVerdict();
        feed(v, 10, true, true);
        feed(v, PathVerdict.FAIL_ROUNDS, true, false);
        assertFalse(v.usable());
        assertEquals(PathVerdict.Failure.BLACK_HOLE, v.failure());
        // the black hole turns into a block: the reason follows
        feed(v, 10, false, false);
        assertEquals(PathVerdict.Failure.BLOCKED, v.failure());
    }

    @Test
    void aLostRoundInTheMiddleRestartsTheHealingCount() {
        PathVerdict v = new PathVerdict();
        feed(v, 1, true, true);
        feed(v, PathVerdict.FAIL_ROUNDS, false, false);
        feed(v, 15, true, true);
        feed(v, 1, true, false);
        feed(v, 15, true, true);
        assertFalse(v.usable(), "15 + 15 answered rounds with a loss between do not heal");
        feed(v, 5, true, true);
        assertTrue(v.usable());
    }

    @Test
    void flappingDoublesTheTimeToHealAndStabilityForgivesIt() {
        PathVerdict v = new PathVerdict();
        feed(v, 1, true, true);
        feed(v, PathVerdict.FAIL_ROUNDS, false, false);
        feed(v, PathVerdict.HEAL_ROUNDS, true, true);
        assertTrue(v.usable());
        feed(v, PathVerdict.FAIL_ROUNDS, false, false); // fails again soon after coming back
        assertFalse(v.usable());
        assertEquals(2 * PathVerdict.HEAL_ROUNDS, v.needed());
        feed(v, 2 * PathVerdict.HEAL_ROUNDS - 1, true, true);
        assertFalse(v.usable());
        feed(v, 1, true, true);
        assertTrue(v.usable());
        feed(v, PathVerdict.STABLE_ROUNDS, true, true);
        assertEquals(PathVerdict.HEAL_ROUNDS, v.needed(), "a long stable run forgives the flaps");
    }

    @Test
    void twentyPercentRandomLossSwitchesAtMostOnceAMinute() {
        // Both directions of a round cross the lossy path once each (ping out, answer back): 0.8 * 0.8.
        for (long seed = 1; seed <= 20; seed++) {
            Random rnd = new Random(seed);
            PathVerdict v = new PathVerdict();
            int switches = 0;
            int rounds = 3600;
            for (int i = 0; i < rounds; i++) {
                boolean small = rnd.nextDouble() >= 0.2 && rnd.nextDouble() >= 0.2;
                boolean big = rnd.nextDouble() >= 0.2 && rnd.nextDouble() >= 0.2;
                if (v.round(small, big)) {
                    switches++;
                }
            }
            assertTrue(switches <= rounds / 60, "seed " + seed + ": " + switches + " switches in an hour of rounds");
        }
    }

    @Test
    void aPeerThatNeverAnsweredGetsAGraceAtTheStartThenFails() {
        PathVerdict v = new PathVerdict();
        feed(v, PathVerdict.STARTUP_ROUNDS - 1, false, false);
        assertTrue(v.usable(), "still starting");
        feed(v, 1, false, false);
        assertFalse(v.usable(), "a path broken from the start fails after the grace");
        PathVerdict w = new PathVerdict();
        feed(w, 1, true, true);
        feed(w, PathVerdict.FAIL_ROUNDS, false, false);
        assertFalse(w.usable(), "no grace once it answered");
    }

    @Test
    void aPeerThatNeverAnsweredIsKnownAsSuch() {
        PathVerdict v = new PathVerdict();
        feed(v, 10, false, false);
        assertFalse(v.everAnswered());
        v.round(true, false);
        assertTrue(v.everAnswered());
    }
}
