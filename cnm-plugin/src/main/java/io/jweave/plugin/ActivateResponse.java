package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** Answer to {@code Plugin.Activate}: the interfaces this plugin implements. */
public record ActivateResponse(@JsonProperty("Implements") List<String> implementsInterfaces) {

    public static final ActivateResponse JWEAVE =
            new ActivateResponse(List.of("NetworkDriver", "IpamDriver"));

    public ActivateResponse {
        implementsInterfaces = Wire.list(implementsInterfaces);
    }
}
