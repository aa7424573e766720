package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code NetworkDriver.FreeNetwork}: swarm managers only. */
public record FreeNetworkRequest(@JsonProperty("NetworkID") String networkId) {
    public FreeNetworkRequest {
        networkId = Wire.str(networkId);
    }
}
