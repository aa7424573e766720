package io.jweave.ipam;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * The persisted form of the IPAM state ({@code ipam.json}), a plain data tree with strings for
 * addresses so the file is readable and editable by hand in an emergency. {@link Ipam} validates
 * everything when loading.
 */
@JsonPropertyOrder({"version", "nextSerial", "pools"})
public record IpamState(int version, long nextSerial, List<Pool> pools) {

    public static final int CURRENT_VERSION = 1;

    public IpamState {
        pools = pools == null ? List.of() : List.copyOf(pools);
    }

    public static IpamState empty() {
        return new IpamState(CURRENT_VERSION, 1, List.of());
    }

    /** One pool as granted to Docker. {@code cursor}: the last automatically allocated address. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"id", "addressSpace", "pool", "subPool", "automatic", "options", "cursor", "allocations"})
    public record Pool(String id, String addressSpace, String pool, String subPool, boolean automatic,
                       Map<String, String> options, String cursor, List<Allocation> allocations) {
        public Pool {
            options = options == null ? Map.of() : Map.copyOf(options);
            allocations = allocations == null ? List.of() : List.copyOf(allocations);
        }
    }

    /**
     * One allocated address. {@code gateway}: requested as the network gateway; {@code requested}:
     * a specific address was asked for (--ip, --gateway, aux); {@code name}: the endpoint name
     * Docker ≥ 29 sends, else absent.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"address", "gateway", "requested", "name"})
    public record Allocation(String address, boolean gateway, boolean requested, String name) {
    }
}
