package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * {@code NetworkDriver.CreateNetwork}: once per host per {@code docker network create}; never replayed
 * after a daemon restart. The network's name is not sent; its {@code -o} options are in
 * {@link DriverOptions#generic()}.
 */
public record CreateNetworkRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("Options") DriverOptions options,
        @JsonProperty("IPv4Data") List<IpamData> ipv4Data,
        @JsonProperty("IPv6Data") List<IpamData> ipv6Data) {

    public CreateNetworkRequest {
        networkId = Wire.str(networkId);
        options = Wire.orElse(options, DriverOptions.EMPTY);
        ipv4Data = Wire.list(ipv4Data);
        ipv6Data = Wire.list(ipv6Data);
    }
}
