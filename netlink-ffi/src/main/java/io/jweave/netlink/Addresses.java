package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlAttrs;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import io.jweave.netlink.sys.Sys;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** Interface addresses (RTM_*ADDR), IPv4 and IPv6. */
public final class Addresses {
    private final NetlinkSocket sock;
    private final Links links;

    Addresses(NetlinkSocket sock, Links links) {
        this.sock = sock;
        this.links = links;
    }

    public void add(String link, IpPrefix prefix) {
        String op = "add address " + prefix + " to link \"" + link + "\"";
        sock.execute(request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, links.require(op, link).index(), prefix), op);
    }

    public void delete(String link, IpPrefix prefix) {
        String op = "delete address " + prefix + " from link \"" + link + "\"";
        sock.execute(request(RTM_DELADDR, 0, links.require(op, link).index(), prefix), op);
    }

    private static NlRequest request(int type, int flags, int index, IpPrefix p) {
        NlRequest r = new NlRequest(type, flags);
        r.u8(p.family()).u8(p.prefixLength()).u8(0).u8(0).u32(index);
        byte[] a = p.address().getAddress();
        r.attr(IFA_LOCAL, a);
        r.attr(IFA_ADDRESS, a);
        return r;
    }

    /** Addresses of one link (by name), or of every link when {@code link} is null. */
    public List<Address> list(String link) {
        int only = link == null ? 0 : links.require("list addresses of \"" + link + "\"", link).index();
        NlRequest r = new NlRequest(RTM_GETADDR, 0);
        r.u8(Sys.AF_UNSPEC).u8(0).u8(0).u8(0).u32(0);
        List<Address> out = new ArrayList<>();
        for (NlMsg m : sock.dump(r, "list addresses")) {
            if (m.type() != RTM_NEWADDR) {
                continue;
            }
            int prefixLen = m.payload().u8(1);
            int index = m.payload().u32(4);
            if (only != 0 && index != only) {
                continue;
            }
            NlAttrs a = m.attrs(IFADDRMSG_LEN);
            InetAddress ip = a.has(IFA_LOCAL) ? a.inet(IFA_LOCAL) : a.inet(IFA_ADDRESS);
            if (ip != null) {
                out.add(new Address(index, new IpPrefix(ip, prefixLen), a.string(IFA_LABEL)));
            }
        }
        return out;
    }
}
