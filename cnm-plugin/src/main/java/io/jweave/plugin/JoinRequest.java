package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code NetworkDriver.Join}: the endpoint is being put into a container's sandbox
 * ({@code SandboxKey} = path of its network namespace). {@code Options} are the sandbox's
 * published/exposed ports.
 */
public record JoinRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("EndpointID") String endpointId,
        @JsonProperty("SandboxKey") String sandboxKey,
        @JsonProperty("Options") DriverOptions options) {

    public JoinRequest {
        networkId = Wire.str(networkId);
        endpointId = Wire.str(endpointId);
        sandboxKey = Wire.str(sandboxKey);
        options = Wire.orElse(options, DriverOptions.EMPTY);
    }
}
