package io.jweave.router.secure;

import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.PortRange;
import io.jweave.netlink.Route;
import io.jweave.netlink.Rule;
import io.jweave.netlink.sys.Sys;
import java.net.InetAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's kernel state that makes the encrypted tunnel the only way between routers:
 *
 * <ul>
 * <li>policy rules that look this host's VXLAN (UDP dport) and mesh (TCP dport, TCP sport) packets up in
 *     table {@value #TABLE}: a default route into the TUN device, with an {@code unreachable} default
 *     behind it (a higher metric), so that nothing falls through to the main table if the TUN goes;</li>
 * <li>an nftables table {@code inet jweave} that drops plaintext VXLAN and mesh packets arriving from
 *     anywhere but the TUN and loopback, counting them ({@link UnderlayFilter}).</li>
 * </ul>
 *
 * Everything is idempotent: {@link #install} at every start with a password, {@link #remove} at every start
 * without one (a host that had a password and no longer has one gets its plain datapath back).
 */
final class UnderlayPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(UnderlayPolicy.class);

    /** Routing table of the tunnel ("jw"). */
    static final int TABLE = 0x6a77;
    /** Priority of the rules: before the main table (32766), after local (0). */
    static final int PRIORITY = 6783;
    private static final IpPrefix ANY = IpPrefix.parse("0.0.0.0/0");

    /** Which plane a dropped plaintext packet belonged to. */
    enum Plane { VXLAN, MESH }

    private final Handle host;
    private final int vxlanPort;
    private final int meshPort;
    private final InetAddress source;
    private final UnderlayFilter filter;

    UnderlayPolicy(Handle host, int vxlanPort, int meshPort, InetAddress source) {
        this.host = host;
        this.vxlanPort = vxlanPort;
        this.meshPort = meshPort;
        this.source = source;
        this.filter = new UnderlayFilter(host, vxlanPort, meshPort, MeshEncryption.TUN);
    }

    List<Rule> rules() {
        Rule base = Rule.lookup(Sys.AF_INET, PRIORITY, TABLE);
        return List.of(
                base.withIpProto(Rule.IPPROTO_UDP).withDport(PortRange.of(vxlanPort)),
                base.withIpProto(Rule.IPPROTO_TCP).withDport(PortRange.of(meshPort)),
                base.withIpProto(Rule.IPPROTO_TCP).withSport(PortRange.of(meshPort)));
    }

    /** Filter first (nothing plaintext gets in), then the routes, then the rules that use them. */
    void install(int tunIndex) {
        filter.install();
        Route last = Route.unreachable(ANY).inTable(TABLE).withPriority(1000).withFamily(Sys.AF_INET);
        Route tun = Route.connected(ANY, tunIndex).inTable(TABLE).withPrefSrc(source).withFamily(Sys.AF_INET);
        host.routes().replace(last);
        host.routes().replace(tun);
        for (Route r : host.routes().list(Sys.AF_INET, TABLE)) {
            boolean wanted = (r.type() == Route.Type.UNREACHABLE && r.priority() == 1000)
                    || (r.type() == Route.Type.UNICAST && r.linkIndex() == tunIndex && r.priority() == 0);
            if (!wanted) {
                host.routes().deleteIfExists(r);
            }
        }
        List<Rule> want = rules();
        for (Rule r : host.rules().list(Sys.AF_INET)) {
            if (r.table() == TABLE && !want.contains(r)) {
                host.rules().deleteIfExists(r); // another port from an earlier launch
            }
        }
        for (Rule r : want) {
            host.rules().addIfAbsent(r);
        }
        LOG.debug("underlay policy installed: rules {}, table {}", want, TABLE);
    }

    /** Removes the rules, the table's routes and the filter, whatever ports an earlier launch used. */
    void remove() {
        boolean any = false;
        for (Rule r : host.rules().list(Sys.AF_INET)) {
            if (r.table() == TABLE) {
                any |= host.rules().deleteIfExists(r);
            }
        }
        for (Route r : host.routes().list(Sys.AF_INET, TABLE)) {
            any |= host.routes().deleteIfExists(r);
        }
        any |= filter.remove();
        if (any) {
            LOG.info("no password: the encrypted tunnel's rules, routes and filter of an earlier launch removed");
        }
    }

    /** Plaintext packets of {@code plane} the filter dropped since it was installed. */
    long dropped(Plane plane) {
        return filter.dropped(plane);
    }
}
