package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/** {@code {"Value": {...}}}; Docker cannot interpret remote values, so {@link #EMPTY} is usual. */
public record EndpointOperInfoResponse(
        @JsonProperty("Value") @JsonInclude(JsonInclude.Include.ALWAYS) Map<String, Object> value) {

    public static final EndpointOperInfoResponse EMPTY = new EndpointOperInfoResponse(Map.of());

    public EndpointOperInfoResponse {
        value = Wire.map(value);
    }
}
