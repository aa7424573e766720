package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The {@code Interface} of a CreateEndpoint request: addresses already allocated by the IPAM driver,
 * as CIDRs with the pool's prefix ({@code "10.40.0.5/16"}), and the MAC if the user gave one.
 * Absent fields read as {@code ""}.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record EndpointInterface(
        @JsonProperty("Address") String address,
        @JsonProperty("AddressIPv6") String addressIpv6,
        @JsonProperty("MacAddress") String macAddress) {

    public static final EndpointInterface EMPTY = new EndpointInterface("", "", "");

    public EndpointInterface {
        address = Wire.str(address);
        addressIpv6 = Wire.str(addressIpv6);
        macAddress = Wire.str(macAddress);
    }
}
