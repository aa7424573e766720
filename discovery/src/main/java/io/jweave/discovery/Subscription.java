package io.jweave.discovery;

/** A listener registration; closing it stops further events. */
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
