package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * {@code IpamDriver.RequestPool}. {@code pool} is {@code --subnet} ({@code ""} = choose one; on a
 * replay the previously allocated pool), {@code subPool} is {@code --ip-range}, {@code options} the
 * {@code --ipam-opt} values, {@code v6} true for the IPv6 pool of an {@code --ipv6} network.
 * The server refuses a {@code SubPool} without a {@code Pool} before the driver sees it.
 */
public record RequestPoolRequest(
        @JsonProperty("AddressSpace") String addressSpace,
        @JsonProperty("Pool") String pool,
        @JsonProperty("SubPool") String subPool,
        @JsonProperty("Options") Map<String, String> options,
        @JsonProperty("V6") boolean v6) {

    public RequestPoolRequest {
        addressSpace = Wire.str(addressSpace);
        pool = Wire.str(pool);
        subPool = Wire.str(subPool);
        options = Wire.strings(options);
    }
}
