package io.jweave.router.dns;

import static io.jweave.router.dns.DnsWire.A_LEN;
import static io.jweave.router.dns.DnsWire.CLASS_ANY;
import static io.jweave.router.dns.DnsWire.CLASS_IN;
import static io.jweave.router.dns.DnsWire.HEADER;
import static io.jweave.router.dns.DnsWire.NOERROR;
import static io.jweave.router.dns.DnsWire.NXDOMAIN;
import static io.jweave.router.dns.DnsWire.OPT_LEN;
import static io.jweave.router.dns.DnsWire.REFUSED;
import static io.jweave.router.dns.DnsWire.SERVFAIL;
import static io.jweave.router.dns.DnsWire.TYPE_A;
import static io.jweave.router.dns.DnsWire.TYPE_ANY;
import static io.jweave.router.dns.DnsWire.TYPE_PTR;
import static io.jweave.router.dns.DnsWire.TYPE_SOA;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the queries the server is authoritative for, from the registry: names in the domain, single-label
 * names found in the domain, PTR of registered addresses. Everything else is left to the forwarder
 * ({@link #answer} returns null).
 */
final class Answerer {
    private static final Logger LOG = LoggerFactory.getLogger(Answerer.class);
    private static final String ARPA = ".in-addr.arpa";
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private final String domain;
    private final String dotDomain;
    private final int ttl;
    private final byte[] soa;
    private final DnsRegistry registry;
    private final DnsStats stats;
    private volatile long lastRegistryLog = System.nanoTime() - LOG_EVERY_NANOS;

    Answerer(DnsServerConfig config, DnsRegistry registry, DnsStats stats) {
        this.domain = config.domain();
        this.dotDomain = "." + domain;
        this.ttl = config.ttlSeconds();
        this.soa = DnsWire.soaRecord(domain, ttl);
        this.registry = registry;
        this.stats = stats;
    }

    /**
     * The answer to {@code q} (parsed from {@code msg}), preceded by {@code prefix} bytes of room (2 for
     * the TCP length, filled in here), at most {@code limit} bytes of DNS message (TC set when cut);
     * or null when the query is to be forwarded.
     */
    ByteBuf answer(ByteBufAllocator alloc, ByteBuf msg, DnsWire.Query q, String network, InetAddress client,
            int prefix, int limit) {
        String name = q.name;
        if (name.isEmpty()) {
            return null;
        }
        boolean inDomain = name.endsWith(dotDomain) || name.equals(domain);
        if (!q.plain) {
            // a label with a dot, a space or a non-ASCII byte: no such name here; never forwarded when it
            // looks like a name of the domain
            if (inDomain) {
                stats.nxdomain.increment();
                return empty(alloc, msg, q, prefix, limit, NXDOMAIN, true, true);
            }
            return null;
        }
        boolean classOk = q.qclass == CLASS_IN || q.qclass == CLASS_ANY;
        try {
            if (inDomain) {
                if (!classOk) {
                    return empty(alloc, msg, q, prefix, limit, REFUSED, false, false);
                }
                List<Inet4Address> addrs = registry.addresses(name, scope(network, client));
                boolean apex = name.length() == domain.length();
                if (addrs.isEmpty() && !apex) {
                    stats.nxdomain.increment();
                    return empty(alloc, msg, q, prefix, limit, NXDOMAIN, true, true);
                }
                if (!addrs.isEmpty() && (q.qtype == TYPE_A || q.qtype == TYPE_ANY)) {
                    stats.answered.increment();
                    return addresses(alloc, msg, q, prefix, limit, addrs);
                }
                if (apex && q.qtype == TYPE_SOA) {
                    stats.answered.increment();
                    return soaAnswer(alloc, msg, q, prefix, limit);
                }
                stats.nodata.increment();
                return empty(alloc, msg, q, prefix, limit, NOERROR, true, true);
            }
            if (classOk && name.indexOf('.') < 0) {
                List<Inet4Address> addrs = registry.addresses(name + dotDomain, scope(network, client));
                if (addrs.isEmpty()) {
                    return null;
                }
                if (q.qtype == TYPE_A || q.qtype == TYPE_ANY) {
                    stats.answered.increment();
                    return addresses(alloc, msg, q, prefix, limit, addrs);
                }
                stats.nodata.increment();
                return empty(alloc, msg, q, prefix, limit, NOERROR, true, false);
            }
            if (classOk && name.endsWith(ARPA)) {
                Inet4Address addr = reverse(name);
                if (addr == null) {
                    return null;
                }
                List<String> names = registry.names(addr, scope(network, client));
                if (names.isEmpty()) {
                    return null;
                }
                if (q.qtype == TYPE_PTR || q.qtype == TYPE_ANY) {
                    stats.answered.increment();
                    return pointers(alloc, msg, q, prefix, limit, names);
                }
                stats.nodata.increment();
                return empty(alloc, msg, q, prefix, limit, NOERROR, true, false);
            }
            return null;
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            if (now - lastRegistryLog >= LOG_EVERY_NANOS) {
                lastRegistryLog = now;
                LOG.warn("DNS registry failed for \"{}\" on network {} (answering SERVFAIL; logged once a minute): {}",
                        name, network, e.toString());
            }
            return servfail(alloc, msg, q, prefix);
        }
    }

    ByteBuf servfail(ByteBufAllocator alloc, ByteBuf msg, DnsWire.Query q, int prefix) {
        stats.servfail.increment();
        return empty(alloc, msg, q, prefix, Integer.MAX_VALUE, SERVFAIL, false, false);
    }

    private Set<String> scope(String network, InetAddress client) {
        if (client instanceof Inet4Address v4) {
            return registry.scope(network, v4);
        }
        return Set.of(network);
    }

    /** Header, question, nothing else but the SOA (negative answers) and OPT. */
    private ByteBuf empty(ByteBufAllocator alloc, ByteBuf msg, DnsWire.Query q, int prefix, int limit, int rcode,
            boolean aa, boolean withSoa) {
        int opt = q.ednsSize >= 0 ? OPT_LEN : 0;
        int base = HEADER + q.questionLength() + opt;
        boolean soaFits = withSoa && base + soa.length <= limit;
        boolean tc = withSoa && !soaFits;
        if (tc) {
            stats.truncated.increment();
        }
        byte[] b = DnsWire.SCRATCH_OUT.get();
        int p = start(b, prefix, msg, q, DnsWire.responseFlags(q.flags, aa, tc, rcode), 0, soaFits ? 1 : 0);
        if (soaFits) {
            System.arraycopy(soa, 0, b, p, soa.length);
            p += soa.length;
        }
        return finish(alloc, b, p, prefix, opt);
    }

    private ByteBuf soaAnswer(ByteBufAllocator alloc, ByteBuf msg, DnsWire.Query q, int prefix, int limit) {
        int opt = q.ednsSize >= 0 ? OPT_LEN : 0;
        int base = HEADER + q.questionLength() + opt;
        boolean fits = base + soa.length <= limit;
        if (!fits) {
            stats.truncated.increment();
        }
        byte[] b = DnsWire.SCRATCH_OUT.get();
        int p = start(b, prefix, msg, q, DnsWire.responseFlags(q.flags, true, !fits, NOERROR), fits ? 1 : 0, 0);
        if (fits) {
            System.arraycopy(soa, 0, b, p, soa.length);
            p += soa.length;
        }
        return finish(alloc, b, p, prefix, opt);
    }

    private ByteBuf addresses(ByteBufAllocator alloc, ByteBuf msg, DnsWire.Query q, int prefix, int limit,
            List<Inet4Address> addrs) {
        int n = addrs.size();
        int opt = q.ednsSize >= 0 ? OPT_LEN : 0;
        int base = HEADER + q.questionLength() + opt;
        int fit = Math.max(0, Math.min(n, (limit - base) / A_LEN));
        boolean tc = fit < n;
        if (tc) {
            stats.truncated.increment();
        }
        byte[] b = DnsWire.SCRATCH_OUT.get();
        int p = start(b, prefix, msg, q, DnsWire.responseFlags(q.flags, true, tc, NOERROR), fit, 0);
        if (n == 1) {
            if (fit == 1) {
                p = DnsWire.a(b, p, ttl, addrs.get(0).getAddress());
            }
        } else {
            // A fresh random order per reply (Fisher-Yates over indexes); with TC a random subset.
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int i = 0; i < fit; i++) {
                p = DnsWire.a(b, p, ttl, addrs.get(order[i]).getAddress());
            }
        }
        return finish(alloc, b, p, prefix, opt);
    }

    private ByteBuf pointers(ByteBufAllocator alloc, ByteBuf msg, DnsWire.Query q, int prefix, int limit,
            List<String> names) {
        int opt = q.ednsSize >= 0 ? OPT_LEN : 0;
        int size = HEADER + q.questionLength() + opt;
        byte[][] encoded = new byte[names.size()][];
        int fit = 0;
        boolean tc = false;
        for (String n : names) {
            byte[] e = DnsWire.encodeName(n);
            if (e == null) {
                continue;
            }
            if (size + DnsWire.ptrLength(e) > limit) {
                tc = true;
                break;
            }
            size += DnsWire.ptrLength(e);
            encoded[fit++] = e;
        }
        if (tc) {
            stats.truncated.increment();
        }
        byte[] b = DnsWire.SCRATCH_OUT.get();
        int p = start(b, prefix, msg, q, DnsWire.responseFlags(q.flags, true, tc, NOERROR), fit, 0);
        for (int i = 0; i < fit; i++) {
            p = DnsWire.ptr(b, p, ttl, encoded[i]);
        }
        return finish(alloc, b, p, prefix, opt);
    }

    /** Writes prefix room, header and the query's question into {@code b}; returns the position after them. */
    private static int start(byte[] b, int prefix, ByteBuf msg, DnsWire.Query q, int flags, int an, int ns) {
        int p = DnsWire.header(b, prefix, q.id, flags, 1, an, ns, q.ednsSize >= 0 ? 1 : 0);
        msg.getBytes(msg.readerIndex() + HEADER, b, p, q.questionLength());
        return p + q.questionLength();
    }

    /** Adds the OPT record (EDNS0 queries) and the TCP length, and copies the answer into a buffer. */
    private static ByteBuf finish(ByteBufAllocator alloc, byte[] b, int p, int prefix, int opt) {
        if (opt > 0) {
            p = DnsWire.opt(b, p);
        }
        if (prefix == 2) {
            DnsWire.put16(b, 0, p - 2);
        }
        return alloc.ioBuffer(p).writeBytes(b, 0, p);
    }

    /** {@code d.c.b.a.in-addr.arpa} to a.b.c.d, or null when it is not exactly four decimal labels 0-255. */
    static Inet4Address reverse(String name) {
        int end = name.length() - ARPA.length();
        byte[] addr = new byte[4];
        int i = 3;
        int start = 0;
        for (int p = 0; p <= end; p++) {
            if (p == end || name.charAt(p) == '.') {
                if (i < 0 || p == start || p - start > 3) {
                    return null;
                }
                int v = 0;
                for (int k = start; k < p; k++) {
                    char c = name.charAt(k);
                    if (c < '0' || c > '9') {
                        return null;
                    }
                    v = v * 10 + (c - '0');
                }
                if (v > 255) {
                    return null;
                }
                addr[i--] = (byte) v;
                start = p + 1;
            }
        }
        if (i != -1) {
            return null;
        }
        try {
            return (Inet4Address) InetAddress.getByAddress(addr);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
