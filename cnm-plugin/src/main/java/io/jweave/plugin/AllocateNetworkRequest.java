package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/** {@code NetworkDriver.AllocateNetwork}: swarm managers only, for global-scope drivers. */
public record AllocateNetworkRequest(
        @JsonProperty("NetworkID") String networkId,
        @JsonProperty("Options") Map<String, String> options,
        @JsonProperty("IPv4Data") List<IpamData> ipv4Data,
        @JsonProperty("IPv6Data") List<IpamData> ipv6Data) {

    public AllocateNetworkRequest {
        networkId = Wire.str(networkId);
        options = Wire.strings(options);
        ipv4Data = Wire.list(ipv4Data);
        ipv6Data = Wire.list(ipv6Data);
    }
}
