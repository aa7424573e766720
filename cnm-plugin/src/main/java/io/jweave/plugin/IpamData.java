package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * One subnet of a network as Docker's IPAM gave it ({@code IPv4Data}/{@code IPv6Data} entries).
 * {@code pool} is a CIDR; {@code gateway} and the aux values are CIDRs with the pool's prefix length
 * ({@code "10.40.0.1/16"}). Absent fields read as {@code ""} / an empty map.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record IpamData(
        @JsonProperty("AddressSpace") String addressSpace,
        @JsonProperty("Pool") String pool,
        @JsonProperty("Gateway") String gateway,
        @JsonProperty("AuxAddresses") Map<String, String> auxAddresses) {

    public IpamData {
        addressSpace = Wire.str(addressSpace);
        pool = Wire.str(pool);
        gateway = Wire.str(gateway);
        auxAddresses = Wire.strings(auxAddresses);
    }
}
