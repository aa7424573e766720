package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code NetworkDriver.RevokeExternalConnectivity}: the endpoint stops being the gateway endpoint. */
public record RevokeExternalConnectivityRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("EndpointID") String endpointId) {

    public RevokeExternalConnectivityRequest {
        networkId = Wire.str(networkId);
        endpointId = Wire.str(endpointId);
    }
}
