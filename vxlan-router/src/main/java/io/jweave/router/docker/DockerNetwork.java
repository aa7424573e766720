package io.jweave.router.docker;

import java.util.Map;

/** A jweave network as the local dockerd lists it: Docker's ID, the user's name, its subnet. */
public record DockerNetwork(String id, String name, String subnet, String gateway, Map<String, String> options,
                            Map<String, String> labels) {

    public DockerNetwork {
        options = options == null ? Map.of() : Map.copyOf(options);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
