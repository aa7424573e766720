package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * Answer to RequestPool: an opaque {@code PoolID} Docker hands back in every later call, the pool
 * as a CIDR, and {@code Data}; the only key Docker reads there is {@link #GATEWAY_KEY} (a CIDR),
 * which makes Docker use it as the gateway and skip the gateway RequestAddress.
 */
public record RequestPoolResponse(
        @JsonProperty("PoolID") String poolId,
        @JsonProperty("Pool") String pool,
        @JsonProperty("Data") @JsonInclude(JsonInclude.Include.ALWAYS) Map<String, String> data) {

    public static final String GATEWAY_KEY = "com.docker.network.gateway";

    public RequestPoolResponse {
        poolId = Wire.str(poolId);
        pool = Wire.str(pool);
        data = Wire.strings(data);
    }

    public static RequestPoolResponse of(String poolId, String pool) {
        return new RequestPoolResponse(poolId, pool, Map.of());
    }
}
