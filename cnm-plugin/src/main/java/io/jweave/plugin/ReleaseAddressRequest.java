package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code IpamDriver.ReleaseAddress}: a plain IP. Errors only logged by Docker; idempotent. */
public record ReleaseAddressRequest(
        @JsonProperty("PoolID") String poolId,
        @JsonProperty("Address") String address) {

    public ReleaseAddressRequest {
        poolId = Wire.str(poolId);
        address = Wire.str(address);
    }
}
