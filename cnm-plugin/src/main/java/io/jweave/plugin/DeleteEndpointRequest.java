package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code NetworkDriver.DeleteEndpoint}: after Leave; delete host-side resources. Errors only logged; idempotent. */
public record DeleteEndpointRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("EndpointID") String endpointId) {

    public DeleteEndpointRequest {
        networkId = Wire.str(networkId);
        endpointId = Wire.str(endpointId);
    }
}
