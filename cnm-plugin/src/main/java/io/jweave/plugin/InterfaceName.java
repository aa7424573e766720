package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Join's {@code InterfaceName}: {@code srcName} is an interface that already exists in the host
 * namespace when Join answers (at most 15 characters); Docker moves it into the container and
 * renames it {@code dstPrefix + index} ({@code eth} gives {@code eth0}, {@code eth1}...).
 */
public record InterfaceName(
        @JsonProperty("SrcName") String srcName,
        @JsonProperty("DstPrefix") String dstPrefix) {

    /** Linux IFNAMSIZ - 1. */
    public static final int MAX_NAME_LENGTH = 15;

    public InterfaceName {
        srcName = Wire.str(srcName);
        dstPrefix = Wire.str(dstPrefix);
    }
}
