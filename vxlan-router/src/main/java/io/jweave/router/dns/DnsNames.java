package io.jweave.router.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Turning Docker's names and users' input into the fully qualified, lower-case names the registry holds. */
public final class DnsNames {
    /** One label: letters, digits, '-' and '_' (Docker allows '_' in container names), 1-63 bytes. */
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private DnsNames() {
    }

    /** The domain as given ({@code jweave.local}, {@code .jweave.local.}) without dots at either end, lower-case. */
    public static String domain(String domain) {
        String d = domain.trim().toLowerCase(Locale.ROOT);
        while (d.startsWith(".")) {
            d = d.substring(1);
        }
        while (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        return d;
    }

    /**
     * {@code name} (a container name, alias or host name, or a user's {@code web} / {@code web.jweave.local})
     * as a name in {@code domain}; empty if it is not a valid DNS name. A name that already ends in the
     * domain is kept as it is.
     */
    public static Optional<String> qualify(String name, String domain) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.startsWith("/")) {
            n = n.substring(1); // Docker's "/web"
        }
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        if (n.isEmpty()) {
            return Optional.empty();
        }
        String d = domain(domain);
        String fqdn = n.equals(d) || n.endsWith("." + d) ? n : n + "." + d;
        return valid(fqdn) ? Optional.of(fqdn) : Optional.empty();
    }

    /** Whether {@code fqdn} is a syntactically valid name (labels of 1-63, at most 253 in all). */
    public static boolean valid(String fqdn) {
        if (fqdn.isEmpty() || fqdn.length() > 253) {
            return false;
        }
        for (String label : fqdn.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    /** A dotted-quad IPv4 address, or an exception whose message names what is wrong. */
    public static Inet4Address ipv4(String s) {
        String t = s == null ? "" : s.trim();
        var m = IPV4.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + s + "\" is not an IPv4 address (like 10.32.0.5)");
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(m.group(i + 1));
            if (v > 255) {
                throw new IllegalArgumentException("\"" + s + "\" is not an IPv4 address (" + v + " > 255)");
            }
            b[i] = (byte) v;
        }
        try {
            return (Inet4Address) InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
