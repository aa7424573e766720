package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Answer to {@code IpamDriver.GetDefaultAddressSpaces}. */
public record AddressSpaces(
        @JsonProperty("LocalDefaultAddressSpace") String localDefaultAddressSpace,
        @JsonProperty("GlobalDefaultAddressSpace") String globalDefaultAddressSpace) {

    public static final String JWEAVE_LOCAL = "jweave-local";
    public static final String JWEAVE_GLOBAL = "jweave-global";
    public static final AddressSpaces JWEAVE = new AddressSpaces(JWEAVE_LOCAL, JWEAVE_GLOBAL);

    public AddressSpaces {
        localDefaultAddressSpace = Wire.str(localDefaultAddressSpace);
        globalDefaultAddressSpace = Wire.str(globalDefaultAddressSpace);
    }
}
