package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.Bytes;
import io.jweave.netlink.nl.NetlinkProtocolException;
import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlAttrs;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import java.util.ArrayList;
import java.util.List;

/** Policy routing rules (RTM_*RULE, {@code ip rule}) that look packets up in a table. */
public final class Rules {
    private final NetlinkSocket sock;

    Rules(NetlinkSocket sock) {
        this.sock = sock;
    }

    /** Adds {@code rule}; an identical rule (same priority and selectors) is EEXIST. */
    public void add(Rule rule) {
        sock.execute(encode(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule), "add rule " + rule);
    }

    /** Adds {@code rule} unless an identical one exists; returns whether it was added. */
    public boolean addIfAbsent(Rule rule) {
        try {
            add(rule);
            return true;
        } catch (NetlinkException e) {
            if (e.isExists()) {
                return false;
            }
            throw e;
        }
    }

    /** Deletes the rule that matches {@code rule}; none is ENOENT. */
    public void delete(Rule rule) {
        sock.execute(encode(RTM_DELRULE, 0, rule), "delete rule " + rule);
    }

    /** Deletes the rule if it exists; returns whether it did. */
    public boolean deleteIfExists(Rule rule) {
        try {
            delete(rule);
            return true;
        } catch (NetlinkException e) {
            if (e.isNotFound()) {
                return false;
            }
            throw e;
        }
    }

    private static NlRequest encode(int type, int flags, Rule rule) {
        NlRequest r = new NlRequest(type, flags);
        int table = rule.table();
        // struct fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action, flags
        r.u8(rule.family()).u8(0).u8(0).u8(0).u8(Integer.compareUnsigned(table, 255) <= 0 ? table : RT_TABLE_UNSPEC)
                .u8(0).u8(0).u8(FR_ACT_TO_TBL).u32(0);
        r.attrU32(FRA_PRIORITY, rule.priority());
        r.attrU32(FRA_TABLE, table);
        if (rule.iifName() != null) {
            r.attrString(FRA_IIFNAME, rule.iifName());
        }
        if (rule.fwmark() != 0) {
            r.attrU32(FRA_FWMARK, rule.fwmark());
        }
        if (rule.ipProto() != 0) {
            r.attrU8(FRA_IP_PROTO, rule.ipProto());
        }
        if (rule.sport() != null) {
            r.attr(FRA_SPORT_RANGE, portRange(rule.sport()));
        }
        if (rule.dport() != null) {
            r.attr(FRA_DPORT_RANGE, portRange(rule.dport()));
        }
        return r;
    }

    /** struct fib_rule_port_range {u16 start; u16 end} in host byte order. */
    private static byte[] portRange(PortRange p) {
        return new byte[] {(byte) p.start(), (byte) (p.start() >>> 8), (byte) p.end(), (byte) (p.end() >>> 8)};
    }

    private static PortRange portRange(NlAttrs a, int type) {
        Bytes b = a.get(type);
        if (b == null) {
            return null;
        }
        if (b.length() < 4) {
            throw new NetlinkProtocolException("rule port range attribute " + type + " has " + b.length() + " bytes, need 4");
        }
        return new PortRange(b.u16(0), b.u16(2));
    }

    /**
     * The rules of {@code family} (Sys.AF_INET or AF_INET6) that look up a table, in the kernel's
     * order (by priority), including the kernel's own (local, main, default).
     */
    public List<Rule> list(int family) {
        NlRequest r = new NlRequest(RTM_GETRULE, 0);
        r.u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
        List<Rule> out = new ArrayList<>();
        for (NlMsg m : sock.dump(r, "list rules")) {
            if (m.type() != RTM_NEWRULE) {
                continue;
            }
            Bytes p = m.payload();
            NlAttrs a = m.attrs(FIB_RULE_HDR_LEN);
            if (p.u8(0) != family || p.u8(7) != FR_ACT_TO_TBL) {
                continue;
            }
            Integer proto = a.u8(FRA_IP_PROTO);
            out.add(new Rule(p.u8(0), a.u32(FRA_PRIORITY, 0), a.u32(FRA_TABLE, p.u8(4)), proto == null ? 0 : proto,
                    portRange(a, FRA_SPORT_RANGE), portRange(a, FRA_DPORT_RANGE), a.u32(FRA_FWMARK, 0),
                    a.string(FRA_IIFNAME)));
        }
        return out;
    }
}
