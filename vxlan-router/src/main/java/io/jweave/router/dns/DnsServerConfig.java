package io.jweave.router.dns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Settings of the DNS server.
 *
 * @param domain          the jweave domain ({@code jweave.local}); stored lower-case without a trailing dot
 * @param ttlSeconds      TTL of the answers for names in the domain, and negative TTL of the synthesized SOA
 * @param upstreams       resolvers that names outside the domain are forwarded to, tried in order
 * @param upstreamTimeout how long to wait for one upstream before trying the next one
 */
public record DnsServerConfig(String domain, int ttlSeconds, List<InetSocketAddress> upstreams, Duration upstreamTimeout) {

    /** The upstream timeout used by {@link #of(String, int, List)}. */
    public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(2);

    public DnsServerConfig {
        if (domain == null) {
            throw new IllegalArgumentException("DNS domain missing");
        }
        domain = domain.toLowerCase(Locale.ROOT);
        while (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        if (domain.isEmpty() || domain.startsWith(".") || domain.contains("..") || domain.length() > 200) {
            throw new IllegalArgumentException("invalid DNS domain \"" + domain + "\"");
        }
        for (String label : domain.split("\\.")) {
            if (label.length() > 63) {
                throw new IllegalArgumentException("invalid DNS domain \"" + domain + "\": label longer than 63 characters");
            }
        }
        if (ttlSeconds < 0) {
            throw new IllegalArgumentException("DNS TTL must not be negative, got " + ttlSeconds);
        }
        upstreams = List.copyOf(upstreams);
        if (upstreamTimeout == null || upstreamTimeout.isNegative() || upstreamTimeout.isZero()) {
            throw new IllegalArgumentException("DNS upstream timeout must be positive, got " + upstreamTimeout);
        }
    }

    /** A configuration with the default upstream timeout. */
    public static DnsServerConfig of(String domain, int ttlSeconds, List<InetSocketAddress> upstreams) {
        return new DnsServerConfig(domain, ttlSeconds, upstreams, DEFAULT_UPSTREAM_TIMEOUT);
    }

    /**
     * The {@code nameserver} lines of a resolv.conf, port 53, in file order. A missing file or a file
     * without nameservers gives an empty list; lines that are not IP addresses are skipped.
     */
    public static List<InetSocketAddress> upstreamsFromResolvConf(Path resolvConf) {
        List<String> lines;
        try {
            lines = Files.readAllLines(resolvConf, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("read " + resolvConf + ": " + e.getMessage(), e);
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (String line : lines) {
            String l = line.strip();
            if (!l.startsWith("nameserver")) {
                continue;
            }
            String[] f = l.split("\\s+");
            if (f.length < 2 || !f[0].equals("nameserver")) {
                continue;
            }
            String ip = f[1];
            int pct = ip.indexOf('%'); // fe80::1%eth0: scope ids are not usable from a network namespace
            if (pct >= 0) {
                continue;
            }
            if (!isIpLiteral(ip)) {
                continue;
            }
            out.add(new InetSocketAddress(literal(ip), 53));
        }
        return List.copyOf(out);
    }

    /**
     * Parses {@code IP} or {@code IP:port} (IPv6 as {@code [addr]:port} or a bare address) into addresses,
     * port 53 when none is given.
     *
     * @throws IllegalArgumentException naming the first spec that is not an address
     */
    public static List<InetSocketAddress> parseUpstreams(List<String> specs) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String spec : specs) {
            out.add(parseUpstream(spec));
        }
        return List.copyOf(out);
    }

    private static InetSocketAddress parseUpstream(String spec) {
        String s = spec == null ? "" : spec.strip();
        String host = s;
        int port = 53;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0) {
                throw bad(spec, "missing ']'");
            }
            host = s.substring(1, end);
            String rest = s.substring(end + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw bad(spec, "expected ':port' after ']'");
                }
                port = port(spec, rest.substring(1));
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = port(spec, s.substring(s.indexOf(':') + 1));
        }
        if (!isIpLiteral(host)) {
            throw bad(spec, "not an IP address (expected IP or IP:port)");
        }
        return new InetSocketAddress(literal(host), port);
    }

    private static int port(String spec, String p) {
        try {
            int port = Integer.parseInt(p);
            if (port < 1 || port > 65535) {
                throw bad(spec, "port out of range 1-65535");
            }
            return port;
        } catch (NumberFormatException e) {
            throw bad(spec, "port is not a number");
        }
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("invalid DNS upstream \"" + spec + "\": " + why);
    }

    private static boolean isIpLiteral(String s) {
        if (s.isEmpty()) {
            return false;
        }
        if (s.indexOf(':') >= 0) {
            return s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /** Resolves an IP literal without any name lookup (the caller checked it is a literal). */
    private static InetAddress literal(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("invalid IP address \"" + s + "\"", e);
        }
    }
}
