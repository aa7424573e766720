package io.jweave.router.dns;

import static io.jweave.router.dns.DnsTestKit.decode;
import static io.jweave.router.dns.DnsTestKit.ip;
import static io.jweave.router.dns.DnsTestKit.query;
import static io.jweave.router.dns.DnsTestKit.tcp;
import static io.jweave.router.dns.DnsTestKit.udp;
import static io.jweave.router.dns.DnsTestKit.udpRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.router.dns.DnsTestKit.Answer;
import io.jweave.router.dns.DnsTestKit.MemoryRegistry;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DNS server over real UDP and TCP sockets on loopback, with a second DNS server as its upstream. */
class DnsServerTest {
    static final int A = 1;
    static final int NS = 2;
    static final int PTR = 12;
    static final int MX = 15;
    static final int TXT = 16;
    static final int AAAA = 28;
    static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    MemoryRegistry registry;
    TestUpstream upstream;
    DnsServer server;
    InetSocketAddress blue;

    @BeforeEach
    void start() throws IOException {
        registry = new MemoryRegistry();
        registry.add("blue", "web.jweave.local", "100.64.1.2");
        registry.add("blue", "rr.jweave.local", "100.64.1.11", "100.64.1.12", "100.64.1.13");
        registry.add("red", "db.jweave.local", "100.64.2.2");
        upstream = new TestUpstream();
        server = new DnsServer(new DnsServerConfig("jweave.local", 7, List.of(upstream.address()), Duration.ofSeconds(2)),
                registry, 2);
        blue = server.listen("blue", LOOPBACK_ANY_PORT).address();
    }

    @AfterEach
    void stop() {
        server.close();
        upstream.close();
    }

    @Test
    void answersShortNameAndFqdnWithTheQuestionAsOwner() throws IOException {
        for (String name : List.of("web", "web.jweave.local", "web.jweave.local.")) {
            Answer a = udp(blue, query(4711, name, A));
            assertEquals(4711, a.id());
            assertEquals(0, a.rcode(), name);
            assertTrue(a.aa(), name);
            assertEquals(List.of("100.64.1.2"), a.addresses(), name);
            String owner = name.endsWith(".") ? name : name + ".";
            assertEquals(List.of(owner), a.owners(), name);
            assertEquals(List.of(7), a.ttls(), name);
        }
        assertTrue(upstream.received.isEmpty(), "known names must not be forwarded: " + upstream.received);
        assertTrue(server.stats().answered() >= 3);
    }

    @Test
    void namesAreCaseInsensitiveAndTheQuestionKeepsItsCase() throws IOException {
        Answer a = udp(blue, query(1, "WeB.JWeave.LOCAL", A));
        assertEquals(List.of("100.64.1.2"), a.addresses());
        assertEquals("WeB.JWeave.LOCAL.", a.question());
        assertEquals(List.of("100.64.1.2"), udp(blue, query(2, "WEB", A)).addresses());
    }

    @Test
    void clientsSeeOnlyTheNamesOfTheirNetworks() throws IOException {
        InetSocketAddress red = server.listen("red", LOOPBACK_ANY_PORT).address();
        assertEquals(List.of("100.64.2.2"), udp(red, query(1, "db.jweave.local", A)).addresses());
        Answer fromRed = udp(red, query(2, "web.jweave.local", A));
        assertEquals(3, fromRed.rcode(), "web is on blue only: NXDOMAIN for a client of red");
        assertEquals(3, udp(blue, query(3, "db.jweave.local", A)).rcode());
        // A short name not found in the client's scope is forwarded, not answered from another network.
        Answer shortFromBlue = udp(blue, query(4, "db", A));
        assertEquals(List.of("192.0.2.7"), shortFromBlue.addresses());
        // A container on both networks (scope from the registry by client address) sees both.
        InetAddress both = InetAddress.getByName("127.0.0.3");
        registry.clients.put(ip("127.0.0.3"), Set.of("blue", "red"));
        assertEquals(List.of("100.64.1.2"), DnsTestKit.udpFrom(both, red, query(5, "web", A)).addresses());
        assertEquals(List.of("100.64.2.2"), DnsTestKit.udpFrom(both, blue, query(6, "db", A)).addresses());
    }

    @Test
    void severalAddressesComeInAnOrderThatVariesPerReply() throws IOException {
        Set<String> firsts = new HashSet<>();
        Set<List<String>> orders = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            Answer a = udp(blue, query(i, "rr", A));
            assertEquals(Set.of("100.64.1.11", "100.64.1.12", "100.64.1.13"), new HashSet<>(a.addresses()));
            assertEquals(3, a.addresses().size());
            firsts.add(a.addresses().get(0));
            orders.add(a.addresses());
        }
        // 40 uniform shuffles of 3: every address comes first at least once, except with probability < 1e-6.
        assertEquals(3, firsts.size(), "first addresses seen: " + firsts);
        assertTrue(orders.size() >= 4, "orders seen: " + orders);
    }

    @Test
    void ptrOfRegisteredAddressesAndForwardingOfOthers() throws IOException {
        Answer a = udp(blue, query(9, "2.1.64.100.in-addr.arpa", PTR));
        assertEquals(0, a.rcode());
        assertEquals(List.of("web.jweave.local."), a.ptrs());
        assertEquals(List.of(7), a.ttls());
        // 100.64.2.2 is db on red: not visible from blue, so forwarded
        udp(blue, query(10, "2.2.64.100.in-addr.arpa", PTR));
        assertTrue(upstream.received.stream().anyMatch(r -> r.name().equals("2.2.64.100.in-addr.arpa")));
        assertFalse(upstream.received.stream().anyMatch(r -> r.name().equals("2.1.64.100.in-addr.arpa")));
        // Known address, other type: NODATA
        Answer nodata = udp(blue, query(11, "2.1.64.100.in-addr.arpa", TXT));
        assertEquals(0, nodata.rcode());
        assertEquals(0, nodata.answerCount());
    }

    @Test
    void unknownNameInTheDomainIsNxdomainWithSoa() throws IOException {
        Answer a = udp(blue, query(5, "nosuch.jweave.local", A));
        assertEquals(3, a.rcode());
        assertTrue(a.aa());
        assertEquals(0, a.answerCount());
        assertEquals("jweave.local.", a.soaOwner());
        assertEquals(7, a.soaMinimum());
        assertEquals(7, a.soaTtl());
        assertEquals(1, server.stats().nxdomain());
        Answer odd = udp(blue, query(6, "we b.jweave.local", A));
        assertEquals(3, odd.rcode(), "a label with a space cannot be a name of the domain");
        assertEquals("jweave.local.", odd.soaOwner());
        assertTrue(upstream.received.isEmpty(), "names in the domain are never forwarded");
    }

    @Test
    void knownNameOfAnotherTypeIsNodataWithSoa() throws IOException {
        for (int type : new int[] {AAAA, MX, TXT, NS}) {
            Answer a = udp(blue, query(6, "web.jweave.local", type));
            assertEquals(0, a.rcode(), "type " + type);
            assertEquals(0, a.answerCount(), "type " + type);
            assertEquals("jweave.local.", a.soaOwner(), "type " + type);
        }
        Answer shortName = udp(blue, query(7, "web", AAAA));
        assertEquals(0, shortName.rcode());
        assertEquals(0, shortName.answerCount());
        assertEquals(5, server.stats().nodata());
        assertTrue(upstream.received.isEmpty());
    }

    @Test
    void otherNamesAreForwardedWithTheClientsId() throws IOException {
        Answer a = udp(blue, query(0xBEEF, "www.example", A));
        assertEquals(0xBEEF, a.id());
        assertEquals(List.of("192.0.2.7"), a.addresses());
        Answer nx = udp(blue, query(0x1234, "nx.example", A));
        assertEquals(0x1234, nx.id());
        assertEquals(3, nx.rcode());
        Answer single = udp(blue, query(3, "intranet", A));
        assertEquals(List.of("192.0.2.7"), single.addresses(), "an unknown single-label name is forwarded");
        Answer overTcp = tcp(blue, query(4, "tcp.example", A));
        assertEquals(List.of("192.0.2.7"), overTcp.addresses());
        assertTrue(upstream.received.stream().anyMatch(r -> r.name().equals("tcp.example") && r.tcp()),
                "a TCP client's query goes to the upstream over TCP: " + upstream.received);
        assertTrue(upstream.received.stream().anyMatch(r -> r.name().equals("www.example") && !r.tcp()),
                "a UDP client's query goes to the upstream over UDP: " + upstream.received);
        assertEquals(4, server.stats().forwarded());
    }

    @Test
    void upstreamTcIsRetriedOverTcpAndTooBigForTheClientSetsTc() throws IOException {
        Answer viaUdp = udp(blue, query(21, "big.example", A));
        assertTrue(viaUdp.tc(), "100 records do not fit a 512-byte UDP answer");
        assertTrue(upstream.received.stream().anyMatch(r -> r.name().equals("big.example") && r.tcp()),
                "the upstream's TC answer is retried over TCP: " + upstream.received);
        Answer viaTcp = tcp(blue, query(22, "big.example", A));
        assertFalse(viaTcp.tc());
        assertEquals(100, viaTcp.addresses().size());
    }

    @Test
    void deadUpstreamGivesServfailAfterTheTimeoutAndTheNextUpstreamIsTried() throws IOException {
        InetSocketAddress dead;
        try (DatagramSocket s = new DatagramSocket(LOOPBACK_ANY_PORT)) {
            dead = (InetSocketAddress) s.getLocalSocketAddress();
        }
        try (DnsServer s = new DnsServer(new DnsServerConfig("jweave.local", 5, List.of(dead),
                Duration.ofMillis(300)), registry, 1)) {
            InetSocketAddress at = s.listen("blue", LOOPBACK_ANY_PORT).address();
            long t0 = System.nanoTime();
            Answer a = udp(at, query(77, "www.example", A));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(2, a.rcode(), "SERVFAIL");
            assertEquals(77, a.id());
            assertTrue(ms >= 250, "SERVFAIL only after the timeout, came after " + ms + " ms");
            assertEquals(1, s.stats().servfail());
            assertEquals(1, s.stats().forwardErrors());
            Answer overTcp = tcp(at, query(78, "www.example", A));
            assertEquals(2, overTcp.rcode());
            assertEquals("web.jweave.local.", udp(at, query(79, "web.jweave.local", A)).owners().get(0),
                    "local names still answered");
        }
        try (DnsServer s = new DnsServer(new DnsServerConfig("jweave.local", 5, List.of(dead, upstream.address()),
                Duration.ofMillis(300)), registry, 1)) {
            InetSocketAddress at = s.listen("blue", LOOPBACK_ANY_PORT).address();
            Answer a = udp(at, query(80, "www.example", A));
            assertEquals(List.of("192.0.2.7"), a.addresses(), "second upstream answers after the first timed out");
            assertEquals(1, s.stats().forwardErrors());
        }
        try (DnsServer s = new DnsServer(DnsServerConfig.of("jweave.local", 5, List.of()), registry, 1)) {
            InetSocketAddress at = s.listen("blue", LOOPBACK_ANY_PORT).address();
            assertEquals(2, udp(at, query(81, "www.example", A)).rcode(), "no upstream at all: SERVFAIL at once");
        }
    }

    @Test
    void fiftyRecordsSetTcOverUdpAndComeWholeOverTcp() throws IOException {
        String[] addrs = new String[50];
        for (int i = 0; i < 50; i++) {
            addrs[i] = "100.64.3." + (i + 1);
        }
        registry.add("blue", "many.jweave.local", addrs);
        Answer u = udp(blue, query(31, "many", A));
        assertTrue(u.tc());
        assertTrue(u.size() <= 512, "UDP answer of " + u.size() + " bytes");
        assertTrue(u.addresses().size() < 50);
        long truncated = server.stats().truncated();
        assertTrue(truncated >= 1);
        List<Answer> t = tcp(blue, query(32, "many", A), query(33, "web", A), query(34, "many.jweave.local", A));
        assertEquals(50, t.get(0).addresses().size());
        assertEquals(Set.of(addrs), new HashSet<>(t.get(0).addresses()));
        assertFalse(t.get(0).tc());
        assertEquals(33, t.get(1).id());
        assertEquals(List.of("100.64.1.2"), t.get(1).addresses());
        assertEquals(50, t.get(2).addresses().size());
        assertEquals(truncated, server.stats().truncated(), "nothing truncated over TCP");
    }

    @Test
    void edns0SizeIsHonouredUpToTheCap() throws IOException {
        String[] addrs = new String[100];
        for (int i = 0; i < 100; i++) {
            addrs[i] = "100.64.4." + (i + 1);
        }
        registry.add("blue", "hundred.jweave.local", addrs);
        registry.add("blue", "fifty.jweave.local", java.util.Arrays.copyOf(addrs, 50));
        Answer e = udp(blue, query(41, "fifty", A, 1232));
        assertFalse(e.tc(), "50 records (about 850 bytes) fit an EDNS0 size of 1232");
        assertEquals(50, e.addresses().size());
        assertTrue(e.opt(), "an EDNS0 query gets an OPT record back");
        Answer plain = udp(blue, query(42, "fifty", A));
        assertTrue(plain.tc(), "without EDNS0 only 512 bytes");
        assertFalse(plain.opt());
        Answer capped = udp(blue, query(43, "hundred", A, 4096));
        assertTrue(capped.tc(), "answers are capped at 1232 bytes whatever the client advertises");
        assertTrue(capped.size() <= 1232, capped.size() + " bytes");
        assertTrue(capped.addresses().size() > 50);
        Answer small = udp(blue, query(44, "fifty", A, 100));
        assertTrue(small.tc(), "an advertised size below 512 counts as 512");
        assertTrue(small.addresses().size() >= 25);
    }

    @Test
    void malformedPacketsAreDroppedOrFormerrAndTheServerKeepsServing() throws IOException {
        byte[] ok = query(1, "web", A);
        // too short for a header: dropped
        assertNull(udpRaw(blue, new byte[] {1, 2, 3, 4, 5}, 300));
        // a response sent to us: dropped
        byte[] response = ok.clone();
        response[2] |= (byte) 0x80;
        assertNull(udpRaw(blue, response, 300));
        // two questions: FORMERR
        byte[] twoQ = ok.clone();
        twoQ[5] = 2;
        assertFormerr(udpRaw(blue, twoQ, 5000), 1);
        // no question: FORMERR
        byte[] noQ = ok.clone();
        noQ[5] = 0;
        assertFormerr(udpRaw(blue, noQ, 5000), 1);
        // a name that points at itself: FORMERR
        byte[] loop = {0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 12, 0, 1, 0, 1};
        assertFormerr(udpRaw(blue, loop, 5000), 9);
        // a pointer forwards, past the end
        byte[] fwd = {0, 10, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 40, 0, 1, 0, 1};
        assertFormerr(udpRaw(blue, fwd, 5000), 10);
        // a label longer than the packet
        byte[] longLabel = {0, 11, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 30, 'a', 'b', 'c'};
        assertFormerr(udpRaw(blue, longLabel, 5000), 11);
        // question without type/class
        byte[] noType = {0, 12, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'e', 'b', 0};
        assertFormerr(udpRaw(blue, noType, 5000), 12);
        // an additional record that runs past the end
        byte[] badOpt = query(13, "web", A, 1232);
        badOpt = java.util.Arrays.copyOf(badOpt, badOpt.length - 3);
        assertFormerr(udpRaw(blue, badOpt, 5000), 13);
        // random garbage, many times
        java.util.Random rnd = new java.util.Random(42);
        try (DatagramSocket s = new DatagramSocket()) {
            for (int i = 0; i < 500; i++) {
                byte[] g = new byte[rnd.nextInt(600)];
                rnd.nextBytes(g);
                s.send(new java.net.DatagramPacket(g, g.length, blue));
            }
        }
        // garbage over TCP: a frame of 3 bytes, then a valid query on the same connection is still answered
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(blue, 5000);
            s.setSoTimeout(10_000);
            java.io.OutputStream o = s.getOutputStream();
            o.write(new byte[] {0, 3, 1, 2, 3});
            o.write(new byte[] {0, (byte) ok.length});
            o.write(ok);
            o.flush();
            java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
            byte[] m = new byte[in.readUnsignedShort()];
            in.readFully(m);
            assertEquals(List.of("100.64.1.2"), decode(m).addresses());
        }
        assertTrue(server.stats().malformed() >= 9, server.stats().toString());
        assertEquals(List.of("100.64.1.2"), udp(blue, ok).addresses(), "still serving");
    }

    private static void assertFormerr(byte[] raw, int id) {
        assertNotNull(raw, "FORMERR expected, got no answer");
        assertTrue(raw.length >= 12);
        assertEquals(id, ((raw[0] & 0xFF) << 8) | (raw[1] & 0xFF));
        assertTrue((raw[2] & 0x80) != 0, "QR set");
        assertEquals(1, raw[3] & 0x0F, "rcode FORMERR");
    }

    @Test
    void closeReleasesThePortsAndATakenPortIsAClearError() throws IOException {
        DnsServer.Listener l = server.listen("green", LOOPBACK_ANY_PORT);
        InetSocketAddress at = l.address();
        IllegalStateException taken = assertThrows(IllegalStateException.class, () -> server.listen("other", at));
        assertTrue(taken.getMessage().contains("network other") && taken.getMessage().contains(":" + at.getPort()),
                taken.getMessage());
        l.close();
        try (DatagramSocket u = new DatagramSocket(at); ServerSocket t = new ServerSocket(at.getPort(), 1, at.getAddress())) {
            assertTrue(u.isBound() && t.isBound());
        }
        DnsServer.Listener again = server.listen("green", at);
        assertEquals(at, again.address());
        server.close();
        try (DatagramSocket u = new DatagramSocket(at); ServerSocket t = new ServerSocket(at.getPort(), 1, at.getAddress());
                DatagramSocket u2 = new DatagramSocket(blue)) {
            assertTrue(u.isBound() && t.isBound() && u2.isBound());
        }
        assertThrows(IllegalStateException.class, () -> server.listen("green", LOOPBACK_ANY_PORT));
    }

    @Test
    void aPortWhoseTcpSideIsTakenIsAClearErrorAndLeavesTheUdpSideFree() throws IOException {
        try (ServerSocket t = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress at = new InetSocketAddress(t.getInetAddress(), t.getLocalPort());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> server.listen("green", at));
            assertTrue(e.getMessage().startsWith("cannot listen for DNS of network green on 127.0.0.1:" + at.getPort()
                    + " (TCP)"), e.getMessage());
            try (DatagramSocket u = new DatagramSocket(at)) {
                assertTrue(u.isBound(), "the UDP sockets bound before the TCP failure were closed");
            }
        }
    }

    @Test
    void manyQueriesFromManyClientsAllGetTheirOwnAnswers() throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * 1000;
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < 200; i++) {
                        boolean local = i % 2 == 0;
                        Answer a = udp(blue, query(base + i, local ? "web" : "x" + i + ".example", A));
                        assertEquals(base + i, a.id());
                        assertEquals(List.of(local ? "100.64.1.2" : "192.0.2.7"), a.addresses());
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(List.of(), errors);
    }
}
