package io.jweave.discovery;

/** Claim events, delivered on the mesh's event thread, in order. */
public interface ClaimListener {

    /** A claim was granted to some host (this one included). */
    default void granted(Claim claim) {
    }

    /** A claim was released by its holder or reclaimed after the grace period. */
    default void released(Claim previous) {
    }

    /**
     * A claim of THIS host was taken away: reclaimed by the majority while this host was away, or
     * it lost a conflict after a merge. The host must stop using what it claimed.
     */
    default void lost(Claim lost, Claim winner) {
    }

    /**
     * This host has been cut off from the majority for half the reclaim grace period
     * ({@code true}): it must stop allocating from its claims, which the majority may soon reclaim.
     * {@code false} when it is back in a majority (then {@link #lost} follows for anything reclaimed).
     */
    default void fenced(boolean fenced) {
    }
}
