package io.jweave.health;

/**
 * Whether one peer's path is usable, judged from heartbeat rounds, with hysteresis. Pure logic: the
 * caller feeds one {@link #round} per heartbeat interval and reads {@link #usable()}.
 *
 * <ul>
 * <li>The path fails after {@link #FAIL_ROUNDS} rounds in a row whose full-size heartbeat went
 *     unanswered (a lost small one alone proves nothing about the frames containers send). Why it failed
 *     is told apart: small heartbeats unanswered too is a blocked path; small ones answered while
 *     full-size ones are lost is an MTU black hole.</li>
 * <li>A failed path is usable again after {@code needed} rounds in a row with the full-size heartbeat
 *     answered: {@link #HEAL_ROUNDS} normally. A path that fails again within {@link #FLAP_WINDOW_ROUNDS}
 *     of coming back is flapping: each such flap doubles {@code needed} (up to {@link #MAX_HEAL_ROUNDS});
 *     {@link #STABLE_ROUNDS} usable rounds in a row forgive the flaps.</li>
 * </ul>
 *
 * With one round a second: a block or a black hole is noticed within 4-5 s, a healed path is taken back
 * after 20 s, and a path with 20 % random loss fails about once in ten minutes (0.2^4 per round) and
 * almost never looks healed (0.8^20), so it does not flap.
 */
public final class PathVerdict {
    public static final int FAIL_ROUNDS = 4;
    public static final int HEAL_ROUNDS = 20;
    public static final int MAX_HEAL_ROUNDS = 640;
    public static final int FLAP_WINDOW_ROUNDS = 60;
    public static final int STABLE_ROUNDS = 600;
    /**
     * Rounds a peer that never answered gets before its path may fail: when two routers meet, each programs
     * its way back to the other within a round or two of the other's first heartbeats, and a peer router
     * still starting answers late. A path broken from the start fails after this many rounds.
     */
    public static final int STARTUP_ROUNDS = 10;

    /** Why the path is not usable. */
    public enum Failure {
        /** Nothing answered: the path is blocked (or the peer is gone). */
        BLOCKED,
        /** Small heartbeats are answered, full-size ones are not. */
        BLACK_HOLE
    }

    private boolean usable = true;
    private Failure failure;
    private int bigLostInRow;
    private int smallLostWhileBigLost;
    private int goodInRow;
    private int needed = HEAL_ROUNDS;
    private long round;
    private long lastReturnRound = Long.MIN_VALUE / 2;
    private long switches;
    private boolean everAnswered;

    /**
     * One heartbeat round.
     *
     * @param smallAnswered the small heartbeat of this round was answered
     * @param bigAnswered   the full-size heartbeat of this round was answered
     * @return whether {@link #usable()} changed
     */
    public boolean round(boolean smallAnswered, boolean bigAnswered) {
        round++;
        everAnswered |= smallAnswered || bigAnswered;
        if (bigAnswered) {
            bigLostInRow = 0;
            smallLostWhileBigLost = 0;
            goodInRow++;
        } else {
            bigLostInRow++;
            if (!smallAnswered) {
                smallLostWhileBigLost++;
            }
            goodInRow = 0;
        }
        if (usable) {
            if (goodInRow >= STABLE_ROUNDS) {
                needed = HEAL_ROUNDS;
            }
            if (bigLostInRow >= FAIL_ROUNDS && (everAnswered || round >= STARTUP_ROUNDS)) {
                usable = false;
                // Black hole when most of the failing rounds still had their small heartbeat answered.
                failure = smallLostWhileBigLost * 2 < bigLostInRow ? Failure.BLACK_HOLE : Failure.BLOCKED;
                if (round - lastReturnRound <= FLAP_WINDOW_ROUNDS) {
                    needed = Math.min(MAX_HEAL_ROUNDS, needed * 2);
                }
                switches++;
                return true;
            }
            return false;
        }
        if (!bigAnswered) {
            // Keep the reason current while failed (a black hole may turn into a block and back).
            if (bigLostInRow >= FAIL_ROUNDS) {
                failure = smallLostWhileBigLost * 2 < bigLostInRow ? Failure.BLACK_HOLE : Failure.BLOCKED;
            }
            return false;
        }
        if (goodInRow >= needed) {
            usable = true;
            failure = null;
            lastReturnRound = round;
            switches++;
            return true;
        }
        return false;
    }

    public boolean usable() {
        return usable;
    }

    /** Why the path is not usable; null while it is. */
    public Failure failure() {
        return failure;
    }

    /** Rounds in a row with the full-size heartbeat answered. */
    public int goodInRow() {
        return goodInRow;
    }

    /** Answered rounds a failed path needs in a row before it is used again. */
    public int needed() {
        return needed;
    }

    /** Times {@link #usable()} changed. */
    public long switches() {
        return switches;
    }

    /** Whether any heartbeat was ever answered (a peer that never answered may run an older router). */
    public boolean everAnswered() {
        return everAnswered;
    }
}
