package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code NetworkDriver.Leave}: sent before Docker moves the interface back out of the container; errors only logged. */
public record LeaveRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("EndpointID") String endpointId) {

    public LeaveRequest {
        networkId = Wire.str(networkId);
        endpointId = Wire.str(endpointId);
    }
}
