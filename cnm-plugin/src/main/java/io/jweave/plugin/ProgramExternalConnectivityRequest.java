package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code NetworkDriver.ProgramExternalConnectivity}: sent only for a container's gateway endpoint
 * (one whose Join returned a gateway or default route), for port publishing. Options carry the
 * port map and exposed ports.
 */
public record ProgramExternalConnectivityRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("EndpointID") String endpointId,
        @JsonProperty("Options") DriverOptions options) {

    public ProgramExternalConnectivityRequest {
        networkId = Wire.str(networkId);
        endpointId = Wire.str(endpointId);
        options = Wire.orElse(options, DriverOptions.EMPTY);
    }
}
