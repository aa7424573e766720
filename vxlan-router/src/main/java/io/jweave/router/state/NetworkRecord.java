package io.jweave.router.state;

import java.util.Map;

/**
 * A jweave network as this host knows it. {@code networkId} is the local dockerd's ID (Docker gives
 * each host its own); {@code vni} and {@code pool} are the network's identity on the wire.
 */
public record NetworkRecord(String networkId, int vni, String pool, String gateway, int mtu,
                            boolean internal, Map<String, String> options) {

    public NetworkRecord {
        options = options == null ? Map.of() : Map.copyOf(options);
    }
}
