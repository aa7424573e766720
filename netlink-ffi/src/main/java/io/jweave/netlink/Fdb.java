package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlAttrs;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import io.jweave.netlink.sys.Sys;
import java.util.ArrayList;
import java.util.List;

/** Bridge forwarding database entries (RTM_*NEIGH with AF_BRIDGE), e.g. MAC → VTEP on a VXLAN device. */
public final class Fdb {
    private final NetlinkSocket sock;

    Fdb(NetlinkSocket sock) {
        this.sock = sock;
    }

    public void add(FdbEntry e) {
        sock.execute(encode(RTM_NEWNEIGH, false, e), describe("add", e));
    }

    /** Adds the entry or overwrites the one with the same MAC (for VXLAN: same MAC and dst). */
    public void replace(FdbEntry e) {
        sock.execute(encode(RTM_NEWNEIGH, true, e), describe("replace", e));
    }

    public void delete(FdbEntry e) {
        sock.execute(encode(RTM_DELNEIGH, false, e), describe("delete", e));
    }

    public void replaceAll(List<FdbEntry> entries) {
        NdMsg.batch(sock, "replace " + entries.size() + " fdb entries", entries,
                e -> encode(RTM_NEWNEIGH, true, e), e -> describe("replace", e));
    }

    public void deleteAll(List<FdbEntry> entries) {
        NdMsg.batch(sock, "delete " + entries.size() + " fdb entries", entries,
                e -> encode(RTM_DELNEIGH, false, e), e -> describe("delete", e));
    }

    private static String describe(String verb, FdbEntry e) {
        return verb + " fdb " + e.mac() + (e.dst() == null ? "" : " dst " + e.dst().getHostAddress())
                + " on link #" + e.linkIndex();
    }

    private static NlRequest encode(int type, boolean replace, FdbEntry e) {
        NlRequest r = NdMsg.request(type, NdMsg.flagsFor(type, replace), Sys.AF_BRIDGE, e.linkIndex(), e.state(), e.flags());
        r.attr(NDA_LLADDR, e.mac().bytes());
        if (e.dst() != null) {
            r.attr(NDA_DST, e.dst().getAddress());
        }
        return r;
    }

    /** FDB entries whose device is {@code linkIndex}, or all entries when it is 0. */
    public List<FdbEntry> list(int linkIndex) {
        NlRequest r = NdMsg.request(RTM_GETNEIGH, 0, Sys.AF_BRIDGE, 0, 0, 0);
        List<FdbEntry> out = new ArrayList<>();
        for (NlMsg m : sock.dump(r, "list fdb entries")) {
            if (m.type() != RTM_NEWNEIGH || NdMsg.family(m) != Sys.AF_BRIDGE) {
                continue;
            }
            FdbEntry e = parse(m);
            if (e != null && (linkIndex == 0 || e.linkIndex() == linkIndex)) {
                out.add(e);
            }
        }
        return out;
    }

    static FdbEntry parse(NlMsg m) {
        NlAttrs a = m.attrs(NDMSG_LEN);
        byte[] mac = a.bytes(NDA_LLADDR);
        if (mac == null || mac.length != 6) {
            return null;
        }
        return new FdbEntry(NdMsg.index(m), new MacAddress(mac), a.has(NDA_DST) ? a.inet(NDA_DST) : null,
                NdMsg.state(m), NdMsg.ntfFlags(m), a.u32(NDA_MASTER, 0));
    }
}
