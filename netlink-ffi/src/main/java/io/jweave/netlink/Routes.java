package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlAttrs;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import io.jweave.netlink.sys.Sys;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** Routes in the main table (RTM_*ROUTE): connected and via a gateway, IPv4 and IPv6. */
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

    static String text(Route r) {
        return (r.destination() == null ? "default" : r.destination().toString())
                + (r.gateway() == null ? "" : " via " + r.gateway().getHostAddress())
                + (r.linkIndex() == 0 ? "" : " dev #" + r.linkIndex());
    }

    private static int family(Route r) {
        InetAddress a = r.destination() != null ? r.destination().address() : r.gateway();
        if (a == null) {
            throw new IllegalArgumentException("route " + text(r) + " has neither destination nor gateway");
        }
        return a instanceof Inet4Address ? Sys.AF_INET : Sys.AF_INET6;
    }

    private static NlRequest encode(int type, int flags, Route route) {
        int fam = family(route);
        int dstLen = route.destination() == null ? 0 : route.destination().prefixLength();
        int scope = route.gateway() == null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
        NlRequest r = new NlRequest(type, flags);
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
        r.u8(fam).u8(dstLen).u8(0).u8(0).u8(RT_TABLE_MAIN)
                .u8(type == RTM_DELROUTE ? 0 : RTPROT_STATIC)
                .u8(type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : scope).u8(RTN_UNICAST).u32(0);
        r.attrU32(RTA_TABLE, RT_TABLE_MAIN);
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
        return r;
    }

    /** Unicast routes of the main table for {@code family} (Sys.AF_INET or AF_INET6). */
    public List<Route> list(int family) {
        NlRequest r = new NlRequest(RTM_GETROUTE, 0);
        r.u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
        List<Route> out = new ArrayList<>();
        for (NlMsg m : sock.dump(r, "list routes")) {
            if (m.type() != RTM_NEWROUTE) {
                continue;
            }
            var p = m.payload();
            if (p.length() < RTMSG_LEN) {
                throw new io.jweave.netlink.nl.NetlinkProtocolException("RTM_NEWROUTE with a " + p.length() + "-byte header");
            }
            int dstLen = p.u8(1);
            NlAttrs a = m.attrs(RTMSG_LEN);
            int table = a.u32(RTA_TABLE, p.u8(4));
            if (table != RT_TABLE_MAIN || p.u8(7) != RTN_UNICAST) {
                continue;
            }
            InetAddress dst = a.inet(RTA_DST);
            IpPrefix prefix = dst == null ? null : new IpPrefix(dst, dstLen);
            out.add(new Route(prefix, a.inet(RTA_GATEWAY), a.u32(RTA_OIF, 0), a.u32(RTA_PRIORITY, 0)));
        }
        return out;
    }
}
