package io.jweave.netlink;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address with a prefix length, e.g. {@code 100.64.1.5/24} (IPv4 or IPv6). */
public record IpPrefix(InetAddress address, int prefixLength) {

    public IpPrefix {
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range 0.." + max
                    + " for " + address.getHostAddress());
        }
    }

    /** Parses {@code a.b.c.d/n} or an IPv6 equivalent; a bare address gets the full length. */
    public static IpPrefix parse(String s) {
        String t = s.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        InetAddress a = parseAddress(addr);
        int max = a instanceof Inet4Address ? 32 : 128;
        int len = max;
        if (slash >= 0) {
            try {
                len = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid prefix \"" + s + "\": prefix length is not a number");
            }
        }
        return new IpPrefix(a, len);
    }

    /** Parses a literal IPv4/IPv6 address; never does a DNS lookup. */
    public static InetAddress parseAddress(String s) {
        String t = s.trim();
        boolean v4 = t.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = t.contains(":") && t.matches("[0-9a-fA-F:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("invalid IP address \"" + s + "\"");
        }
        if (v4) {
            for (String part : t.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    throw new IllegalArgumentException("invalid IP address \"" + s + "\"");
                }
            }
        }
        try {
            return InetAddress.getByName(t);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IP address \"" + s + "\"");
        }
    }

    public int family() {
        return address instanceof Inet4Address ? io.jweave.netlink.sys.Sys.AF_INET : io.jweave.netlink.sys.Sys.AF_INET6;
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
