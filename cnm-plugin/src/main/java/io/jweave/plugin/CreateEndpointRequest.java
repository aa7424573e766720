package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code NetworkDriver.CreateEndpoint}: a container is being attached. No container ID, name or
 * hostname is sent. A missing {@code Interface} (Docker always sends one) reads as
 * {@link EndpointInterface#EMPTY}.
 */
public record CreateEndpointRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("EndpointID") String endpointId,
        @JsonProperty("Interface") EndpointInterface iface,
        @JsonProperty("Options") DriverOptions options) {

    public CreateEndpointRequest {
        networkId = Wire.str(networkId);
        endpointId = Wire.str(endpointId);
        iface = Wire.orElse(iface, EndpointInterface.EMPTY);
        options = Wire.orElse(options, DriverOptions.EMPTY);
    }
}
