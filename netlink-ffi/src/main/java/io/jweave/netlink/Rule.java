package io.jweave.netlink;

import io.jweave.netlink.sys.Sys;

/**
 * A policy routing rule ({@code ip rule}) that looks a packet up in {@code table}: selected by
 * {@code priority} (lower first), and matching on the IP protocol ({@code ipProto}, 0 = any),
 * source and destination port ranges (null = any), firewall mark ({@code fwmark}, 0 = any) and
 * input interface ({@code iifName}, null = any; {@code "lo"} means locally generated traffic).
 * Table ids above 255 are fine. The same record describes a rule to add and a rule read back.
 *
 * <pre>
 * Rule.lookup(Sys.AF_INET, 100, 27255).withIpProto(Rule.IPPROTO_UDP).withDport(PortRange.of(4789))
 * // ip rule add pref 100 ipproto udp dport 4789 lookup 27255
 * </pre>
 */
public record Rule(int family, int priority, int table, int ipProto, PortRange sport, PortRange dport,
                   int fwmark, String iifName) {
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;

    public Rule {
        if (family != Sys.AF_INET && family != Sys.AF_INET6) {
            throw new IllegalArgumentException("rule family " + family + " is neither AF_INET nor AF_INET6");
        }
        if (priority < 0) {
            throw new IllegalArgumentException("rule priority " + Integer.toUnsignedString(priority) + " is out of range");
        }
        if (ipProto < 0 || ipProto > 255) {
            throw new IllegalArgumentException("IP protocol " + ipProto + " out of range 0..255");
        }
        if (iifName != null) {
            io.jweave.netlink.nl.NlRequest.checkIfName(iifName);
        }
    }

    /** {@code ip rule add pref PRIORITY lookup TABLE}, matching everything. */
    public static Rule lookup(int family, int priority, int table) {
        return new Rule(family, priority, table, 0, null, null, 0, null);
    }

    public Rule withIpProto(int proto) {
        return new Rule(family, priority, table, proto, sport, dport, fwmark, iifName);
    }

    public Rule withSport(PortRange range) {
        return new Rule(family, priority, table, ipProto, range, dport, fwmark, iifName);
    }

    public Rule withDport(PortRange range) {
        return new Rule(family, priority, table, ipProto, sport, range, fwmark, iifName);
    }

    public Rule withFwmark(int mark) {
        return new Rule(family, priority, table, ipProto, sport, dport, mark, iifName);
    }

    public Rule withIifName(String name) {
        return new Rule(family, priority, table, ipProto, sport, dport, fwmark, name);
    }

    /** In {@code ip rule} syntax, for messages: {@code pref 100 ipproto 17 dport 4789 lookup 27255}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(family == Sys.AF_INET6 ? "-6 " : "").append("pref ").append(priority);
        if (iifName != null) {
            sb.append(" iif ").append(iifName);
        }
        if (fwmark != 0) {
            sb.append(" fwmark 0x").append(Integer.toHexString(fwmark));
        }
        if (ipProto != 0) {
            sb.append(" ipproto ").append(ipProto == IPPROTO_UDP ? "udp" : ipProto == IPPROTO_TCP ? "tcp" : ipProto);
        }
        if (sport != null) {
            sb.append(" sport ").append(sport);
        }
        if (dport != null) {
            sb.append(" dport ").append(dport);
        }
        return sb.append(" lookup ").append(Integer.toUnsignedString(table)).toString();
    }
}
