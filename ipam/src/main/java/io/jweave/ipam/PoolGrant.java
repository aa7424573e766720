package io.jweave.ipam;

import java.util.Map;
import java.util.Objects;

/**
 * Answer to {@link Ipam#requestPool}: the opaque PoolID Docker stores and passes back, the pool,
 * and the {@code Data} map of Docker's RequestPool response (empty: jweave suggests no gateway
 * here; the plugin layer may add {@code com.docker.network.gateway} if the router wants that).
 */
public record PoolGrant(String poolId, Cidr pool, Map<String, String> data) {
    public PoolGrant {
        Objects.requireNonNull(poolId, "poolId");
        Objects.requireNonNull(pool, "pool");
        data = Map.copyOf(data);
    }
}
