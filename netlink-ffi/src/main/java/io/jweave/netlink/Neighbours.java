package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlAttrs;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import io.jweave.netlink.sys.Sys;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;

/** Neighbour (ARP/NDP) entries: IP → MAC (RTM_*NEIGH with AF_INET/AF_INET6). */
public final class Neighbours {
    private final NetlinkSocket sock;

    Neighbours(NetlinkSocket sock) {
        this.sock = sock;
    }

    /** Adds an entry; fails with EEXIST if one exists for that IP on that link. */
    public void add(Neighbour n) {
        sock.execute(encode(RTM_NEWNEIGH, false, n), describe("add", n));
    }

    /** Adds or overwrites an entry. */
    public void replace(Neighbour n) {
        sock.execute(encode(RTM_NEWNEIGH, true, n), describe("replace", n));
    }

    public void delete(Neighbour n) {
        sock.execute(encode(RTM_DELNEIGH, false, n), describe("delete", n));
    }

    /** Adds or overwrites many entries, batched (see {@link NetlinkSocket#executeBatch}). */
    public void replaceAll(List<Neighbour> entries) {
        NdMsg.batch(sock, "replace " + entries.size() + " neighbour entries", entries,
                n -> encode(RTM_NEWNEIGH, true, n), n -> describe("replace", n));
    }

    /** Deletes many entries, batched. */
    public void deleteAll(List<Neighbour> entries) {
        NdMsg.batch(sock, "delete " + entries.size() + " neighbour entries", entries,
                n -> encode(RTM_DELNEIGH, false, n), n -> describe("delete", n));
    }

    private static String describe(String verb, Neighbour n) {
        return verb + " neighbour " + n.ip().getHostAddress() + (n.mac() == null ? "" : " lladdr " + n.mac())
                + " on link #" + n.linkIndex();
    }

    private static NlRequest encode(int type, boolean replace, Neighbour n) {
        int family = n.ip() instanceof Inet4Address ? Sys.AF_INET : Sys.AF_INET6;
        NlRequest r = NdMsg.request(type, NdMsg.flagsFor(type, replace), family, n.linkIndex(), n.state(), n.flags());
        r.attr(NDA_DST, n.ip().getAddress());
        if (n.mac() != null && type != RTM_DELNEIGH) {
            r.attr(NDA_LLADDR, n.mac().bytes());
        }
        return r;
    }

    /** IPv4 and IPv6 neighbours of one link (ifindex), or of all links when {@code linkIndex} is 0. */
    public List<Neighbour> list(int linkIndex) {
        NlRequest r = NdMsg.request(RTM_GETNEIGH, 0, Sys.AF_UNSPEC, 0, 0, 0);
        List<Neighbour> out = new ArrayList<>();
        for (NlMsg m : sock.dump(r, "list neighbours")) {
            if (m.type() != RTM_NEWNEIGH) {
                continue;
            }
            int fam = NdMsg.family(m);
            if (fam != Sys.AF_INET && fam != Sys.AF_INET6) {
                continue;
            }
            Neighbour n = parse(m);
            if (n != null && (linkIndex == 0 || n.linkIndex() == linkIndex)) {
                out.add(n);
            }
        }
        return out;
    }

    static Neighbour parse(NlMsg m) {
        NlAttrs a = m.attrs(NDMSG_LEN);
        if (!a.has(NDA_DST)) {
            return null;
        }
        byte[] mac = a.bytes(NDA_LLADDR);
        return new Neighbour(NdMsg.index(m), a.inet(NDA_DST), mac != null && mac.length == 6 ? new MacAddress(mac) : null,
                NdMsg.state(m), NdMsg.ntfFlags(m));
    }
}
