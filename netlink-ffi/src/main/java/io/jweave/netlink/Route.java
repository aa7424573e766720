package io.jweave.netlink;

import java.net.InetAddress;

/**
 * A route in the main table. {@code destination} null means the default route; {@code gateway}
 * null means a connected route (scope link) through {@code linkIndex}.
 */
public record Route(IpPrefix destination, InetAddress gateway, int linkIndex, int priority) {

    /** A connected route: {@code ip route add DST dev LINK}. */
    public static Route connected(IpPrefix destination, int linkIndex) {
        return new Route(destination, null, linkIndex, 0);
    }

    /** A route via a gateway: {@code ip route add DST via GW [dev LINK]} (linkIndex 0 = any). */
    public static Route via(IpPrefix destination, InetAddress gateway, int linkIndex) {
        return new Route(destination, gateway, linkIndex, 0);
    }

    public boolean isDefault() {
        return destination == null || destination.prefixLength() == 0;
    }
}
