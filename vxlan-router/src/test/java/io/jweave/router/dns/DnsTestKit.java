package io.jweave.router.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DnsPtrRecord;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test helpers: queries built byte by byte, answers decoded by netty-codec-dns (an independent decoder
 * of what the server wrote), plain blocking sockets as clients, an in-memory registry.
 */
final class DnsTestKit {
    static final InetSocketAddress ANY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);

    private DnsTestKit() {
    }

    /** A query for {@code name} of {@code type}; {@code edns} >= 0 adds an OPT record with that payload size. */
    static byte[] query(int id, String name, int type, int edns) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        try {
            o.writeShort(id);
            o.writeShort(0x0100); // RD
            o.writeShort(1);
            o.writeShort(0);
            o.writeShort(0);
            o.writeShort(edns >= 0 ? 1 : 0);
            o.write(encode(name));
            o.writeShort(type);
            o.writeShort(1);
            if (edns >= 0) {
                o.writeByte(0);
                o.writeShort(41);
                o.writeShort(edns);
                o.writeInt(0);
                o.writeShort(0);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return b.toByteArray();
    }

    static byte[] query(int id, String name, int type) {
        return query(id, name, type, -1);
    }

    static byte[] encode(String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (!n.isEmpty()) {
            for (String label : n.split("\\.")) {
                byte[] l = label.getBytes(StandardCharsets.US_ASCII);
                b.write(l.length);
                b.writeBytes(l);
            }
        }
        b.write(0);
        return b.toByteArray();
    }

    /** A decoded answer. */
    record Answer(int id, int rcode, boolean tc, boolean aa, boolean ra, String question, int answerCount,
            List<String> addresses, List<String> owners, List<String> ptrs, List<Integer> ttls, String soaOwner,
            long soaMinimum, int soaTtl, boolean opt, int size) {
    }

    static Answer decode(byte[] bytes) {
        EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        try {
            ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(bytes), ANY, ANY));
            DnsResponse r = ch.readInbound();
            try {
                List<String> addrs = new ArrayList<>();
                List<String> owners = new ArrayList<>();
                List<String> ptrs = new ArrayList<>();
                List<Integer> ttls = new ArrayList<>();
                for (int i = 0; i < r.count(DnsSection.ANSWER); i++) {
                    DnsRecord rec = r.recordAt(DnsSection.ANSWER, i);
                    owners.add(rec.name());
                    ttls.add((int) rec.timeToLive());
                    if (rec.type() == DnsRecordType.A) {
                        ByteBuf c = ((DnsRawRecord) rec).content();
                        addrs.add(InetAddress.getByAddress(ByteBufUtil.getBytes(c)).getHostAddress());
                    } else if (rec instanceof DnsPtrRecord p) {
                        ptrs.add(p.hostname());
                    }
                }
                String soaOwner = null;
                long soaMin = -1;
                int soaTtl = -1;
                for (int i = 0; i < r.count(DnsSection.AUTHORITY); i++) {
                    DnsRecord rec = r.recordAt(DnsSection.AUTHORITY, i);
                    if (rec.type() == DnsRecordType.SOA) {
                        soaOwner = rec.name();
                        soaTtl = (int) rec.timeToLive();
                        ByteBuf c = ((DnsRawRecord) rec).content();
                        soaMin = c.getUnsignedInt(c.writerIndex() - 4);
                    }
                }
                boolean opt = false;
                for (int i = 0; i < r.count(DnsSection.ADDITIONAL); i++) {
                    opt |= r.recordAt(DnsSection.ADDITIONAL, i).type() == DnsRecordType.OPT;
                }
                String q = r.count(DnsSection.QUESTION) > 0 ? r.recordAt(DnsSection.QUESTION).name() : null;
                return new Answer(r.id(), r.code().intValue(), r.isTruncated(), r.isAuthoritativeAnswer(),
                        r.isRecursionAvailable(), q, r.count(DnsSection.ANSWER), addrs, owners, ptrs, ttls, soaOwner,
                        soaMin, soaTtl, opt, bytes.length);
            } finally {
                r.release();
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** Sends {@code q} over UDP and returns the raw answer, or null when none came within {@code timeoutMs}. */
    static byte[] udpRaw(InetSocketAddress server, byte[] q, int timeoutMs) throws IOException {
        return udpRaw(null, server, q, timeoutMs);
    }

    static byte[] udpRaw(InetAddress from, InetSocketAddress server, byte[] q, int timeoutMs) throws IOException {
        try (DatagramSocket s = from == null ? new DatagramSocket() : new DatagramSocket(new InetSocketAddress(from, 0))) {
            s.setSoTimeout(timeoutMs);
            s.send(new java.net.DatagramPacket(q, q.length, server));
            byte[] buf = new byte[65535];
            java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            byte[] out = new byte[p.getLength()];
            System.arraycopy(buf, 0, out, 0, p.getLength());
            return out;
        }
    }

    static Answer udp(InetSocketAddress server, byte[] q) throws IOException {
        byte[] r = udpRaw(server, q, 10_000);
        if (r == null) {
            throw new AssertionError("no UDP answer from " + server + " within 10 s");
        }
        return decode(r);
    }

    static Answer udpFrom(InetAddress from, InetSocketAddress server, byte[] q) throws IOException {
        byte[] r = udpRaw(from, server, q, 10_000);
        if (r == null) {
            throw new AssertionError("no UDP answer from " + server + " within 10 s");
        }
        return decode(r);
    }

    /** Sends each query on one TCP connection, in one write, and reads as many answers. */
    static List<Answer> tcp(InetSocketAddress server, byte[]... qs) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, 5000);
            s.setSoTimeout(10_000);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (byte[] q : qs) {
                b.write(q.length >> 8);
                b.write(q.length & 0xFF);
                b.writeBytes(q);
            }
            s.getOutputStream().write(b.toByteArray());
            DataInputStream in = new DataInputStream(s.getInputStream());
            List<Answer> out = new ArrayList<>();
            for (int i = 0; i < qs.length; i++) {
                int len = in.readUnsignedShort();
                byte[] m = new byte[len];
                in.readFully(m);
                out.add(decode(m));
            }
            return out;
        }
    }

    static Answer tcp(InetSocketAddress server, byte[] q) throws IOException {
        return tcp(server, new byte[][] {q}).get(0);
    }

    static Inet4Address ip(String s) {
        try {
            return (Inet4Address) InetAddress.getByName(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The question name a query carries, decoded by netty-codec-dns (for the upstream's log). */
    static DnsQuery decodeQuery(byte[] bytes, InetSocketAddress sender) {
        EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsQueryDecoder());
        ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(bytes), ANY, sender));
        DnsQuery q = ch.readInbound();
        ch.finishAndReleaseAll();
        return q;
    }

    /** Names per network, and which networks a client address belongs to. */
    static final class MemoryRegistry implements DnsRegistry {
        final Map<String, Map<String, List<Inet4Address>>> names = new ConcurrentHashMap<>();
        final Map<Inet4Address, Set<String>> clients = new ConcurrentHashMap<>();
        final List<String> scopeCalls = new CopyOnWriteArrayList<>();

        void add(String network, String fqdn, String... addrs) {
            List<Inet4Address> l = names.computeIfAbsent(network, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(fqdn, k -> new CopyOnWriteArrayList<>());
            for (String a : addrs) {
                l.add(ip(a));
            }
        }

        @Override
        public Set<String> scope(String network, Inet4Address client) {
            return clients.getOrDefault(client, Set.of(network));
        }

        @Override
        public List<Inet4Address> addresses(String fqdn, Set<String> networks) {
            List<Inet4Address> out = new ArrayList<>();
            for (String n : networks) {
                out.addAll(names.getOrDefault(n, Map.of()).getOrDefault(fqdn, List.of()));
            }
            return out;
        }

        @Override
        public List<String> names(Inet4Address address, Set<String> networks) {
            List<String> out = new ArrayList<>();
            for (String n : networks) {
                names.getOrDefault(n, Map.of()).forEach((fqdn, addrs) -> {
                    if (addrs.contains(address)) {
                        out.add(fqdn);
                    }
                });
            }
            return out;
        }
    }
}
