package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/** {@code {"Options": {...}}}: options Docker delivers to CreateNetwork on every node. */
public record AllocateNetworkResponse(
        @JsonProperty("Options") @JsonInclude(JsonInclude.Include.ALWAYS) Map<String, String> options) {

    public AllocateNetworkResponse {
        options = Wire.strings(options);
    }
}
