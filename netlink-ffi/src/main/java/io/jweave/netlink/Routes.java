package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlAttrs;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** Routes (RTM_*ROUTE) in any table: connected, via a gateway, blackhole, unreachable; IPv4 and IPv6. */
public final class Routes {
    private final NetlinkSocket sock;

    Routes(NetlinkSocket sock) {
        this.sock = sock;
    }

    public void add(Route route) {
        sock.execute(encode(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route), "add route " + text(route));
    }

    public void replace(Route route) {
        sock.execute(encode(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, route), "replace route " + text(route));
    }

    public void delete(Route route) {
        sock.execute(encode(RTM_DELROUTE, 0, route), "delete route " + text(route));
    }

    /** Deletes the route if it exists; returns whether it did. */
    public boolean deleteIfExists(Route route) {
        try {
            delete(route);
            return true;
        } catch (NetlinkException e) {
            if (e.isNotFound()) {
                return false;
            }
            throw e;
        }
    }

    static String text(Route r) {
        return (r.type() == Route.Type.UNICAST ? "" : r.type().name().toLowerCase() + " ")
                + (r.destination() == null ? "default" : r.destination().toString())
                + (r.gateway() == null ? "" : " via " + r.gateway().getHostAddress())
                + (r.linkIndex() == 0 ? "" : " dev #" + r.linkIndex())
                + (r.table() == RT_TABLE_MAIN ? "" : " table " + Integer.toUnsignedString(r.table()))
                + (r.priority() == 0 ? "" : " metric " + Integer.toUnsignedString(r.priority()))
                + (r.prefSrc() == null ? "" : " src " + r.prefSrc().getHostAddress());
    }

    private static int family(Route r) {
        if (r.family() == 0) {
            throw new IllegalArgumentException("route " + text(r)
                    + " has no address to tell IPv4 from IPv6; give it withFamily(...)");
        }
        return r.family();
    }

    private static NlRequest encode(int type, int flags, Route route) {
        int fam = family(route);
        int dstLen = route.destination() == null ? 0 : route.destination().prefixLength();
        int scope = route.gateway() == null && route.type() == Route.Type.UNICAST ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
        int table = route.table();
        NlRequest r = new NlRequest(type, flags);
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
        r.u8(fam).u8(dstLen).u8(0).u8(0).u8(Integer.compareUnsigned(table, 255) <= 0 ? table : RT_TABLE_UNSPEC)
                .u8(type == RTM_DELROUTE ? 0 : RTPROT_STATIC)
                .u8(type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : scope).u8(route.type().code()).u32(0);
        r.attrU32(RTA_TABLE, table);
        if (route.destination() != null && dstLen > 0) {
            r.attr(RTA_DST, route.destination().address().getAddress());
        }
        if (route.gateway() != null) {
            r.attr(RTA_GATEWAY, route.gateway().getAddress());
        }
        if (route.linkIndex() != 0) {
            r.attrU32(RTA_OIF, route.linkIndex());
        }
        if (route.priority() != 0) {
            r.attrU32(RTA_PRIORITY, route.priority());
        }
        if (route.prefSrc() != null) {
            r.attr(RTA_PREFSRC, route.prefSrc().getAddress());
        }
        return r;
    }

    /** Unicast routes of the main table for {@code family} (Sys.AF_INET or AF_INET6). */
    public List<Route> list(int family) {
        return dump(family, RT_TABLE_MAIN, true);
    }

    /**
     * The unicast, blackhole, unreachable and prohibit routes of table {@code table} for
     * {@code family}. (The kernel dumps every table; the others are skipped here.)
     */
    public List<Route> list(int family, int table) {
        return dump(family, table, false);
    }

    private List<Route> dump(int family, int table, boolean unicastOnly) {
        NlRequest r = new NlRequest(RTM_GETROUTE, 0);
        r.u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
        List<Route> out = new ArrayList<>();
        for (NlMsg m : sock.dump(r, "list routes" + (table == RT_TABLE_MAIN ? "" : " of table " + Integer.toUnsignedString(table)))) {
            if (m.type() != RTM_NEWROUTE) {
                continue;
            }
            var p = m.payload();
            if (p.length() < RTMSG_LEN) {
                throw new io.jweave.netlink.nl.NetlinkProtocolException("RTM_NEWROUTE with a " + p.length() + "-byte header");
            }
            int dstLen = p.u8(1);
            NlAttrs a = m.attrs(RTMSG_LEN);
            Route.Type type = Route.Type.of(p.u8(7));
            if (a.u32(RTA_TABLE, p.u8(4)) != table || type == null || (unicastOnly && type != Route.Type.UNICAST)) {
                continue;
            }
            InetAddress dst = a.inet(RTA_DST);
            IpPrefix prefix = dst == null ? null : new IpPrefix(dst, dstLen);
            boolean unicast = type == Route.Type.UNICAST;
            // IPv6 reports its blackhole/unreachable routes on lo: meaningless here, dropped
            out.add(new Route(prefix, unicast ? a.inet(RTA_GATEWAY) : null, unicast ? a.u32(RTA_OIF, 0) : 0,
                    a.u32(RTA_PRIORITY, 0), p.u8(0), table, type, a.inet(RTA_PREFSRC)));
        }
        return out;
    }
}
