package io.jweave.discovery;

/**
 * The answer to {@link Claims#claim}.
 *
 * @param status what happened
 * @param claim  the granted claim (GRANTED) or the current holder's claim (HELD); else null
 * @param detail a sentence for logs and users
 */
public record ClaimResult(Status status, Claim claim, String detail) {

    public enum Status {
        /** The caller holds the key now (or already did). */
        GRANTED,
        /** Another host holds the key. */
        HELD,
        /** This side of the mesh is not a majority of the known hosts; nothing can be claimed. */
        NO_QUORUM,
        /** Competing claims split the votes, or votes did not arrive in time; try again. */
        CONTENDED
    }

    public boolean granted() {
        return status == Status.GRANTED;
    }

    /** The holder, when GRANTED or HELD. */
    public String holder() {
        return claim == null ? null : claim.holder();
    }
}
