package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * Answer to Join, on the wire:
 * <pre>{@code
 * {"InterfaceName": {"SrcName": "vethjw5a3f9c01", "DstPrefix": "eth"},
 *  "Gateway": "10.40.0.1", "GatewayIPv6": "...",
 *  "StaticRoutes": [{"Destination": "224.0.0.0/4", "RouteType": 1}],
 *  "DisableGatewayService": false}
 * }</pre>
 * {@code Gateway}/{@code GatewayIPv6} are plain IPs (no mask) and are omitted when empty, as are an
 * absent {@code InterfaceName} (then Docker moves no interface) and an empty route list.
 * Without a gateway or NEXTHOP default route (and without {@code DisableGatewayService}) Docker adds
 * a docker_gwbridge interface for egress.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record JoinResponse(
        @JsonProperty("InterfaceName") InterfaceName interfaceName,
        @JsonProperty("Gateway") String gateway,
        @JsonProperty("GatewayIPv6") String gatewayIpv6,
        @JsonProperty("StaticRoutes") List<StaticRoute> staticRoutes,
        @JsonProperty("DisableGatewayService") @JsonInclude(JsonInclude.Include.ALWAYS)
        boolean disableGatewayService) {

    public JoinResponse {
        gateway = Wire.str(gateway);
        gatewayIpv6 = Wire.str(gatewayIpv6);
        staticRoutes = Wire.list(staticRoutes);
    }

    /** Move {@code srcName} into the container as {@code dstPrefix<N>}, no gateway, no routes. */
    public static JoinResponse of(String srcName, String dstPrefix) {
        return new JoinResponse(new InterfaceName(srcName, dstPrefix), "", "", List.of(), false);
    }
}
