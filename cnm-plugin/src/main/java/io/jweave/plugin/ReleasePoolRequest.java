package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code IpamDriver.ReleasePool}: errors only logged by Docker; make it idempotent. */
public record ReleasePoolRequest(@JsonProperty("PoolID") String poolId) {
    public ReleasePoolRequest {
        poolId = Wire.str(poolId);
    }
}
