package io.jweave.router.secure;

import io.jweave.netlink.Handle;
import io.jweave.netlink.NetlinkException;
import io.jweave.netlink.nft.NftChain;
import io.jweave.netlink.nft.NftFamily;
import io.jweave.netlink.nft.NftHook;
import io.jweave.netlink.nft.NftMatch;
import io.jweave.netlink.nft.NftRule;
import io.jweave.netlink.nft.NftRuleState;
import io.jweave.netlink.nft.NftTable;
import io.jweave.netlink.nft.NftVerdict;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nftables table {@code inet jweave}: on input, plaintext VXLAN (UDP dport) and mesh (TCP dport or
 * sport) packets that did not come out of the tunnel's TUN device or loopback are dropped and counted.
 * Written in one transaction (replacing an earlier copy), read back for the counters.
 *
 * <pre>
 * table inet jweave {
 *   chain input { type filter hook input priority -10; policy accept;
 *     iifname != "jwtun0" iifname != "lo" meta l4proto udp th dport 4789 counter drop comment "plaintext-vxlan"
 *     iifname != "jwtun0" iifname != "lo" meta l4proto tcp th dport 6783 counter drop comment "plaintext-mesh"
 *     iifname != "jwtun0" iifname != "lo" meta l4proto tcp th sport 6783 counter drop comment "plaintext-mesh-reply"
 *   }
 * }
 * </pre>
 */
final class UnderlayFilter {
    private static final Logger LOG = LoggerFactory.getLogger(UnderlayFilter.class);
    static final String TABLE = "jweave";
    static final String CHAIN = "input";
    /** Before the usual filter chains (priority 0), so that another table's accept cannot come first. */
    static final int PRIORITY = -10;

    private final Handle host;
    private final NftTable table;

    UnderlayFilter(Handle host, int vxlanPort, int meshPort, String tun) {
        this.host = host;
        NftMatch notTun = new NftMatch.IifName(tun, false);
        NftMatch notLo = new NftMatch.IifName("lo", false);
        NftMatch udp = new NftMatch.L4Proto(NftMatch.IPPROTO_UDP);
        NftMatch tcp = new NftMatch.L4Proto(NftMatch.IPPROTO_TCP);
        List<NftRule> rules = List.of(
                NftRule.of("plaintext-vxlan", NftVerdict.DROP, notTun, notLo, udp, new NftMatch.Port(true, vxlanPort)),
                NftRule.of("plaintext-mesh", NftVerdict.DROP, notTun, notLo, tcp, new NftMatch.Port(true, meshPort)),
                NftRule.of("plaintext-mesh-reply", NftVerdict.DROP, notTun, notLo, tcp, new NftMatch.Port(false, meshPort)));
        this.table = new NftTable(NftFamily.INET, TABLE,
                List.of(NftChain.filter(CHAIN, NftHook.INPUT, PRIORITY, rules)));
    }

    void install() {
        host.nftables().replaceTable(table);
        LOG.debug("nftables table {} installed", table);
    }

    /** Returns whether there was a table to remove. */
    boolean remove() {
        if (!host.nftables().tableExists(NftFamily.INET, TABLE)) {
            return false;
        }
        host.nftables().deleteTable(NftFamily.INET, TABLE);
        return true;
    }

    /** Packets dropped by the rules of {@code plane} since the table was written (0 if it is not there). */
    long dropped(UnderlayPolicy.Plane plane) {
        try {
            long n = 0;
            for (NftRuleState r : host.nftables().rules(NftFamily.INET, TABLE, CHAIN)) {
                String c = r.comment();
                if (c != null && (plane == UnderlayPolicy.Plane.VXLAN ? c.equals("plaintext-vxlan")
                        : c.startsWith("plaintext-mesh"))) {
                    n += r.packets();
                }
            }
            return n;
        } catch (NetlinkException e) {
            return 0;
        }
    }
}
