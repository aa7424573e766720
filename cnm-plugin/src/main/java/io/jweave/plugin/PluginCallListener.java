package io.jweave.plugin;

/**
 * Told about every routed plugin call after it has been answered (a hook for metrics). Runs on the
 * call executor; must be quick and must not throw (exceptions are logged and ignored).
 */
@FunctionalInterface
public interface PluginCallListener {

    /** How a call ended. */
    enum Outcome {
        /** HTTP 200. */
        OK,
        /** The driver refused it with a {@link PluginException}. */
        REFUSED,
        /** The request could not be decoded or lacked a required field. */
        MALFORMED,
        /** The driver (or the server) failed with an unexpected exception. */
        INTERNAL_ERROR;

        public boolean succeeded() {
            return this == OK;
        }
    }

    PluginCallListener NONE = (method, durationNanos, outcome) -> { };

    /**
     * @param method        {@code Interface.Method}, e.g. {@code NetworkDriver.CreateEndpoint}
     * @param durationNanos from the complete request being received to the answer being ready
     * @param outcome       how it ended
     */
    void onCall(String method, long durationNanos, Outcome outcome);
}
