package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Answer to {@code NetworkDriver.GetCapabilities}. {@code Scope} must be {@code local} or
 * {@code global} or Docker silently does not register the driver; a legacy plugin must say
 * {@code local}. {@code GwAllocChecker} is not sent (false), so Docker never calls GwAllocCheck.
 */
public record NetworkCapabilities(
        @JsonProperty("Scope") String scope,
        @JsonProperty("ConnectivityScope") String connectivityScope) {

    /** jweave: objects are local to each daemon, connectivity spans hosts. */
    public static final NetworkCapabilities JWEAVE = new NetworkCapabilities("local", "global");

    public NetworkCapabilities {
        if (!"local".equals(scope) && !"global".equals(scope)) {
            throw new IllegalArgumentException("Scope must be local or global, not " + scope);
        }
        if (connectivityScope != null && !"local".equals(connectivityScope)
                && !"global".equals(connectivityScope)) {
            throw new IllegalArgumentException(
                    "ConnectivityScope must be local or global, not " + connectivityScope);
        }
    }
}
