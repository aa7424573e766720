package io.jweave.discovery;

/** Membership events, delivered on the mesh's event thread (never a Hazelcast thread), in order. */
public interface MeshListener {

    default void memberJoined(Peer peer) {
    }

    /** The member left or was declared dead; its table records have been removed by then. */
    default void memberLeft(Peer peer) {
    }

    /** This member merged back into the larger side after a split brain; its records are re-published. */
    default void merged() {
    }
}
