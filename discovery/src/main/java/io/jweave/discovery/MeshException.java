package io.jweave.discovery;

/** A mesh problem the user can cause or fix (the message is written for them). */
public final class MeshException extends RuntimeException {

    /** What went wrong. */
    public enum Kind {
        /** Another live member already uses this {@code --name}. */
        NAME_CLASH,
        /** The embedded Hazelcast member could not start or join. */
        START_FAILED
    }

    private final Kind kind;

    public MeshException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public MeshException(Kind kind, String message) {
        this(kind, message, null);
    }

    public Kind kind() {
        return kind;
    }
}
