package io.jweave.discovery;

/**
 * Changes to an {@link OwnedTable}, delivered on the mesh's event thread (never a Hazelcast
 * thread), in order, de-duplicated: each event is a real change of this member's local view.
 * A new subscriber first receives {@code added} for every row already present.
 */
public interface TableListener<V> {
    default void added(OwnedTable.Row<V> row) {
    }

    default void updated(OwnedTable.Row<V> before, OwnedTable.Row<V> after) {
    }

    default void removed(OwnedTable.Row<V> row) {
    }
}
