package io.jweave.netlink;

import io.jweave.netlink.nl.Rtnl;
import io.jweave.netlink.sys.Sys;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * A route. {@code destination} null (or a /0 prefix, normalised to null) means the default route;
 * {@code gateway} null means a connected route (scope link) through {@code linkIndex};
 * {@code priority} is the metric (0 = the kernel's default). {@code table} is the routing table id
 * (any 32-bit id; 254 is main), {@code type} unicast, blackhole or unreachable, and
 * {@code prefSrc} the preferred source address (null = none). {@code family} is Sys.AF_INET or
 * AF_INET6; 0 asks the constructor to derive it from the addresses.
 *
 * <p>The four-argument constructor and {@link #connected}/{@link #via} make main-table unicast
 * routes; {@link #inTable}, {@link #withPriority}, {@link #withPrefSrc} and {@link #blackhole}/
 * {@link #unreachable} the rest:
 * <pre>
 * Route.connected(null, tun.index()).inTable(27255).withFamily(Sys.AF_INET)   // default dev tun0 table 27255
 * Route.blackhole(IpPrefix.parse("0.0.0.0/0")).inTable(27255).withPriority(1000)
 * </pre>
 */
public record Route(IpPrefix destination, InetAddress gateway, int linkIndex, int priority,
                    int family, int table, Type type, InetAddress prefSrc) {

    /** The route types netlink-ffi models ({@code rtm_type}). */
    public enum Type {
        UNICAST(Rtnl.RTN_UNICAST), BLACKHOLE(Rtnl.RTN_BLACKHOLE), UNREACHABLE(Rtnl.RTN_UNREACHABLE),
        PROHIBIT(Rtnl.RTN_PROHIBIT);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The type for an {@code rtm_type}, or null for one not modelled (local, broadcast, ...). */
        public static Type of(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    public Route {
        if (destination != null && destination.prefixLength() == 0) {
            if (family == 0) {
                family = destination.family();
            }
            destination = null;
        }
        if (family == 0) {
            InetAddress a = destination != null ? destination.address() : gateway != null ? gateway : prefSrc;
            family = a == null ? 0 : a instanceof Inet4Address ? Sys.AF_INET : Sys.AF_INET6;
        }
        if (table == 0) {
            table = Rtnl.RT_TABLE_MAIN;
        }
        if (type == null) {
            type = Type.UNICAST;
        }
        if (type != Type.UNICAST && (gateway != null || linkIndex != 0)) {
            throw new IllegalArgumentException(type.name().toLowerCase() + " route has a gateway or a link");
        }
    }

    /** A unicast route in the main table, as before tables and types existed. */
    public Route(IpPrefix destination, InetAddress gateway, int linkIndex, int priority) {
        this(destination, gateway, linkIndex, priority, 0, Rtnl.RT_TABLE_MAIN, Type.UNICAST, null);
    }

    /** A connected route: {@code ip route add DST dev LINK}. */
    public static Route connected(IpPrefix destination, int linkIndex) {
        return new Route(destination, null, linkIndex, 0);
    }

    /** A route via a gateway: {@code ip route add DST via GW [dev LINK]} (linkIndex 0 = any). */
    public static Route via(IpPrefix destination, InetAddress gateway, int linkIndex) {
        return new Route(destination, gateway, linkIndex, 0);
    }

    /** {@code ip route add blackhole DST}: packets are discarded, senders get EINVAL. */
    public static Route blackhole(IpPrefix destination) {
        return new Route(destination, null, 0, 0, 0, Rtnl.RT_TABLE_MAIN, Type.BLACKHOLE, null);
    }

    /** {@code ip route add unreachable DST}: senders get EHOSTUNREACH. */
    public static Route unreachable(IpPrefix destination) {
        return new Route(destination, null, 0, 0, 0, Rtnl.RT_TABLE_MAIN, Type.UNREACHABLE, null);
    }

    public Route inTable(int tableId) {
        return new Route(destination, gateway, linkIndex, priority, family, tableId, type, prefSrc);
    }

    public Route withPriority(int metric) {
        return new Route(destination, gateway, linkIndex, metric, family, table, type, prefSrc);
    }

    public Route withPrefSrc(InetAddress src) {
        return new Route(destination, gateway, linkIndex, priority, family, table, type, src);
    }

    /** Needed only for a default connected route, which has no address to tell the family by. */
    public Route withFamily(int fam) {
        return new Route(destination, gateway, linkIndex, priority, fam, table, type, prefSrc);
    }

    public boolean isDefault() {
        return destination == null || destination.prefixLength() == 0;
    }
}
