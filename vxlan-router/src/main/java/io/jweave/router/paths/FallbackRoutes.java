package io.jweave.router.paths;

import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.PortRange;
import io.jweave.netlink.Route;
import io.jweave.netlink.Rule;
import io.jweave.netlink.sys.Sys;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves one peer's VXLAN traffic between the kernel path and the tunnel (a mesh without a password; with
 * one, every peer's traffic is in the tunnel already):
 *
 * <pre>
 * pref 6780  ipproto udp sport 4789 dport 4789  lookup main     heartbeats stay on the kernel path
 * pref 6781  ipproto udp dport 4789             lookup 27256    table 27256: PEER/32 dev jwtun0 src ADV
 *                                                               per peer on the tunnel, nothing else
 * </pre>
 *
 * A peer without a route in table 27256 falls through to the main table (a lookup that finds nothing goes
 * on with the next rule): the kernel path. Moving a peer is one route added or deleted; no packet of an
 * established connection is lost beyond those in flight, and the inner frames do not change, so
 * containers' TCP connections survive both ways.
 */
final class FallbackRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(FallbackRoutes.class);

    /** Routing table of peers on the tunnel ("jx"). */
    static final int TABLE = 0x6a78;
    static final int HEARTBEAT_PRIORITY = 6780;
    static final int PRIORITY = 6781;
    private static final int MAIN = 254;

    private final Handle host;
    private final int vxlanPort;
    private final InetAddress source;
    private final Set<InetAddress> onTunnel = new HashSet<>();

    FallbackRoutes(Handle host, int vxlanPort, InetAddress source) {
        this.host = host;
        this.vxlanPort = vxlanPort;
        this.source = source;
    }

    List<Rule> rules() {
        return List.of(
                Rule.lookup(Sys.AF_INET, HEARTBEAT_PRIORITY, MAIN).withIpProto(Rule.IPPROTO_UDP)
                        .withSport(PortRange.of(HeartbeatPath.SOURCE_PORT)).withDport(PortRange.of(vxlanPort)),
                Rule.lookup(Sys.AF_INET, PRIORITY, TABLE).withIpProto(Rule.IPPROTO_UDP).withDport(PortRange.of(vxlanPort)));
    }

    /** The rules, and an empty table (every peer on the kernel path). */
    synchronized void install() {
        clearTable();
        List<Rule> want = rules();
        for (Rule r : host.rules().list(Sys.AF_INET)) {
            if ((r.table() == TABLE || r.priority() == HEARTBEAT_PRIORITY) && !want.contains(r)) {
                host.rules().deleteIfExists(r); // another port from an earlier launch
            }
        }
        for (Rule r : want) {
            host.rules().addIfAbsent(r);
        }
    }

    /** Routes {@code peer}'s VXLAN packets into the TUN device (ifindex {@code tun}) or back to the kernel path. */
    synchronized void route(InetAddress peer, boolean tunnel, int tun) {
        Route r = Route.connected(new IpPrefix(peer, 32), tun).inTable(TABLE).withPrefSrc(source).withFamily(Sys.AF_INET);
        if (tunnel) {
            host.routes().replace(r);
            onTunnel.add(peer);
        } else if (onTunnel.remove(peer)) {
            host.routes().deleteIfExists(r);
        }
    }

    synchronized Set<InetAddress> onTunnel() {
        return Set.copyOf(onTunnel);
    }

    /** Every peer back on the kernel path, rules gone (a router stopping, or starting with a password). */
    synchronized void remove() {
        boolean any = clearTable();
        for (Rule r : host.rules().list(Sys.AF_INET)) {
            if (r.table() == TABLE || (r.priority() == HEARTBEAT_PRIORITY && r.table() == MAIN)) {
                any |= host.rules().deleteIfExists(r);
            }
        }
        onTunnel.clear();
        if (any) {
            LOG.debug("fallback rules and routes removed");
        }
    }

    private boolean clearTable() {
        boolean any = false;
        for (Route r : host.routes().list(Sys.AF_INET, TABLE)) {
            any |= host.routes().deleteIfExists(r);
        }
        onTunnel.clear();
        return any;
    }
}
