package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Answer to CreateEndpoint: at most a MAC address, on the wire
 * {@code {"Interface": {"MacAddress": "02:42:0a:28:00:05"}}}, or {@code {}} with none.
 *
 * <p>Docker fails (and rolls back) if a driver returns a value it already has, so this type cannot
 * carry addresses at all, and the server drops the MAC when the request already had one.
 *
 * @param macAddress {@code aa:bb:cc:dd:ee:ff}, or {@code null} for none
 */
public record CreateEndpointResponse(@JsonIgnore String macAddress) {

    public static final CreateEndpointResponse NONE = new CreateEndpointResponse(null);

    private static final Pattern MAC = Pattern.compile("(?i)([0-9a-f]{2}:){5}[0-9a-f]{2}");

    public CreateEndpointResponse {
        if (macAddress != null && macAddress.isEmpty()) {
            macAddress = null;
        }
        if (macAddress != null && !MAC.matcher(macAddress).matches()) {
            throw new IllegalArgumentException("not a MAC address: " + macAddress);
        }
    }

    public static CreateEndpointResponse withMac(String macAddress) {
        return new CreateEndpointResponse(macAddress);
    }

    /** Wire form of the {@code Interface} field; omitted when there is no MAC. */
    @JsonProperty("Interface")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    Map<String, String> wireInterface() {
        return macAddress == null ? null : Map.of("MacAddress", macAddress);
    }
}
