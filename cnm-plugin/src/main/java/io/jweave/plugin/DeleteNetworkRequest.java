package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code NetworkDriver.DeleteNetwork}: errors are only logged by Docker; make it idempotent. */
public record DeleteNetworkRequest(@JsonProperty("NetworkID") String networkId) {
    public DeleteNetworkRequest {
        networkId = Wire.str(networkId);
    }
}
