package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * {@code NetworkDriver.DiscoverNew} / {@code DiscoverDelete}: Docker's node discovery (type 1,
 * data {@code {"Address", "BindAddress", "Self"}}). Only sent in swarm mode or with the legacy
 * cluster store; jweave discovers peers itself.
 */
public record DiscoveryNotification(
        @JsonProperty("DiscoveryType") int discoveryType,
        @JsonProperty("DiscoveryData") Map<String, Object> discoveryData) {

    public static final int NODE_DISCOVERY = 1;

    public DiscoveryNotification {
        discoveryData = Wire.map(discoveryData);
    }
}
