package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Answer to {@code IpamDriver.GetCapabilities}. jweave persists its pools and allocations, so it
 * needs neither a MAC before RequestAddress nor Docker's replay of requests at daemon start.
 */
public record IpamCapabilities(
        @JsonProperty("RequiresMACAddress") boolean requiresMacAddress,
        @JsonProperty("RequiresRequestReplay") boolean requiresRequestReplay) {

    public static final IpamCapabilities JWEAVE = new IpamCapabilities(false, false);
}
