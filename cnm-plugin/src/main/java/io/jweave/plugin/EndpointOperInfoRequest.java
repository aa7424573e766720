package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code NetworkDriver.EndpointOperInfo}: Docker asks for operational data of an endpoint. */
public record EndpointOperInfoRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("EndpointID") String endpointId) {

    public EndpointOperInfoRequest {
        networkId = Wire.str(networkId);
        endpointId = Wire.str(endpointId);
    }
}
