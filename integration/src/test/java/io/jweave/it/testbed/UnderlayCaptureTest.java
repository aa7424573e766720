package io.jweave.it.testbed;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.NetNs;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link UnderlayCapture} on two namespaces joined by a veth (A 198.51.100.1, B 198.51.100.2), no
 * dockerd; one test on a real (docker-less) test bed underlay bridge. Needs root and libpcap0.8; fails,
 * never skips, without them.
 */
class UnderlayCaptureTest {

    private static final String IP_A = "198.51.100.1";
    private static final String IP_B = "198.51.100.2";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static String runId;
    private static LeakCheck before;
    private static String nsA;
    private static String nsB;

    @BeforeAll
    static void createNamespaces() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        Sweeper.claim(runId); // a killed run is swept by the next test bed start
        nsA = Sweeper.PREFIX + runId + "-a";
        nsB = Sweeper.PREFIX + runId + "-b";
        Duration t = Duration.ofSeconds(10);
        Commands.runOk(t, "ip", "netns", "add", nsA);
        Commands.runOk(t, "ip", "netns", "add", nsB);
        Commands.runOk(t, "ip", "-n", nsA, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", nsB);
        Commands.runOk(t, "ip", "-n", nsA, "addr", "add", IP_A + "/24", "dev", "eth0");
        Commands.runOk(t, "ip", "-n", nsB, "addr", "add", IP_B + "/24", "dev", "eth0");
        for (String ns : List.of(nsA, nsB)) {
            Commands.runOk(t, "ip", "-n", ns, "link", "set", "lo", "up");
            Commands.runOk(t, "ip", "-n", ns, "link", "set", "eth0", "up");
        }
    }

    @AfterAll
    static void removeNamespaces() {
        if (runId != null) {
            Sweeper.sweepRun(runId);
            before.assertNoLeaks();
        }
    }

    /** After every test: no capture thread alive and no packet socket left in our namespaces. */
    @AfterEach
    void nothingLeft() {
        List<String> threads = Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive).map(Thread::getName).filter(n -> n.startsWith("capture-")).toList();
        assertEquals(List.of(), threads, "capture threads left");
        assertEquals(0, packetSockets(nsA), "packet sockets left in " + nsA);
        assertEquals(0, packetSockets(nsB), "packet sockets left in " + nsB);
    }

    @Test
    void countsUdpTcpAndMarkersAndWritesAPcapThatReadsBack() throws Exception {
        byte[] absent = "NEVER-SENT-7f3a".getBytes(US_ASCII);
        try (UnderlayCapture all = UnderlayCapture.start(nsA, "eth0", null);
             UnderlayCapture only9999 = UnderlayCapture.start(nsA, "eth0", "udp dst port 9999");
             DatagramSocket vx = udpSocket(nsA, 4789);
             DatagramSocket other = udpSocket(nsA, 9999);
             ServerSocket hz = inNs(nsA, () -> new ServerSocket(5701, 5, java.net.InetAddress.getByName(IP_A)))) {
            hz.setSoTimeout(5000);
            List<byte[]> sentVx = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sentVx.add(("MARKER-vx-" + i + "-" + runId).getBytes(US_ASCII));
            }
            inNs(nsB, () -> {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(IP_B, 0))) {
                    for (byte[] p : sentVx) {
                        s.send(new DatagramPacket(p, p.length, new InetSocketAddress(IP_A, 4789)));
                    }
                    for (int i = 0; i < 3; i++) {
                        byte[] p = ("MARKER-other-" + i).getBytes(US_ASCII);
                        s.send(new DatagramPacket(p, p.length, new InetSocketAddress(IP_A, 9999)));
                    }
                }
                try (Socket c = new Socket()) {
                    c.connect(new InetSocketAddress(IP_A, 5701), 5000);
                    c.getOutputStream().write("HZC\u0001member-record-jweave".getBytes(US_ASCII));
                    c.getOutputStream().flush();
                }
                return null;
            });
            for (byte[] p : sentVx) {
                assertArrayEquals(p, receive(vx), "datagram delivered to A:4789");
            }
            for (int i = 0; i < 3; i++) {
                receive(other);
            }
            try (Socket in = hz.accept(); InputStream is = in.getInputStream()) {
                assertEquals("HZC\u0001member-record-jweave", new String(is.readAllBytes(), US_ASCII));
            }

            assertTrue(all.await(f -> UnderlayCapture.parse(f).filter(p -> p.isUdp() && p.dstPort() == 9999).isPresent(),
                    3, WAIT), "3 datagrams to 9999 captured: " + all.ipv4());
            assertTrue(all.await(f -> UnderlayCapture.indexOf(f, "HZC".getBytes(US_ASCII), 0) >= 0, 1, WAIT));
            assertTrue(only9999.awaitCount(3, WAIT));

            assertEquals(5, all.countUdp(4789), all.ipv4()::toString);
            assertEquals(3, all.countUdp(9999));
            List<byte[]> payloads = all.udpPayloads(4789);
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(sentVx.get(i), payloads.get(i), "payload " + i + " in order");
            }
            assertTrue(all.contains(sentVx.get(3)));
            assertTrue(all.contains("MARKER-other-2"));
            assertEquals(5, all.countContaining(("-" + runId).getBytes(US_ASCII)));
            assertFalse(all.contains(absent));
            assertEquals(0, all.countContaining(absent));
            assertTrue(all.contains("HZC"));
            assertTrue(all.countTcp(5701) >= 4, "SYN, SYN-ACK, data, FIN at least: " + all.tcp(5701));
            String tcpData = all.tcpPayloads(5701).stream().map(b -> new String(b, US_ASCII)).reduce("", String::concat);
            assertEquals("HZC\u0001member-record-jweave", tcpData);
            assertTrue(all.tcp(5701).stream().anyMatch(p -> p.dstPort() == 5701 && p.src().getHostAddress().equals(IP_B)));
            assertTrue(all.count() > 8 + 4, "ARP and TCP frames besides the datagrams: " + all.count());
            assertEquals(0, all.dropped());

            // checksum fix-up, checked by an independent one's-complement sum (pseudo-header + segment)
            for (UnderlayCapture.L4 p : all.ipv4()) {
                byte[] fixed = UnderlayCapture.fixChecksums(p.frame());
                UnderlayCapture.L4 q = UnderlayCapture.parse(fixed).orElseThrow();
                assertTrue(onesComplementOk(fixed, q), "checksums of " + q);
                assertTrue(UnderlayCapture.checksumsValid(fixed));
                assertArrayEquals(p.payload(), q.payload());
            }

            // the filtered capture saw only its datagrams
            assertEquals(3, only9999.count());
            assertEquals(3, only9999.countUdp(9999));
            assertEquals(0, only9999.countUdp(4789));
            assertFalse(only9999.contains("HZC"));

            // pcap file through libpcap's dumper, read back with pcap4j offline
            List<UnderlayCapture.Frame> snapshot = all.captured();
            Path file = Path.of("target", "underlay-capture", runId + "-all.pcap");
            UnderlayCapture.writePcap(file, snapshot);
            assertTrue(Files.size(file) > 24);
            List<byte[]> back = UnderlayCapture.readPcap(file);
            assertEquals(snapshot.size(), back.size());
            for (int i = 0; i < back.size(); i++) {
                assertArrayEquals(snapshot.get(i).data(), back.get(i), "frame " + i);
            }
            Path file2 = Path.of("target", "underlay-capture", runId + "-9999.pcap");
            only9999.writePcap(file2);
            assertEquals(3, UnderlayCapture.readPcap(file2).size());
        }
    }

    @Test
    void injectedCopiesOfACapturedDatagramReachTheReceiverAgain() throws Exception {
        try (UnderlayCapture cap = UnderlayCapture.start(nsA, "eth0", "udp dst port 7000");
             DatagramSocket rx = udpSocket(nsA, 7000)) {
            byte[] payload = ("REPLAY-ME-" + runId).getBytes(US_ASCII);
            inNs(nsB, () -> {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(IP_B, 0))) {
                    s.send(new DatagramPacket(payload, payload.length, new InetSocketAddress(IP_A, 7000)));
                }
                return null;
            });
            assertArrayEquals(payload, receive(rx), "original delivery");
            assertTrue(cap.awaitCount(1, WAIT));
            byte[] frame = cap.frames().get(0);
            UnderlayCapture.L4 l4 = UnderlayCapture.parse(frame).orElseThrow();
            assertEquals(IP_B, l4.src().getHostAddress());
            assertArrayEquals(payload, l4.payload());

            // Replay exactly as captured. On a veth the sender leaves the UDP checksum to "hardware"
            // (the frame holds only the pseudo-header sum); a copy sent through a packet socket is
            // checked for real, so it arrives only if the captured checksum happens to be complete.
            boolean checksumComplete = UnderlayCapture.checksumsValid(frame);
            System.out.println("captured UDP checksum complete: " + checksumComplete);
            rx.setSoTimeout(700);
            UnderlayCapture.inject(nsB, "eth0", frame);
            byte[] raw = tryReceive(rx);
            if (checksumComplete) {
                assertArrayEquals(payload, raw, "verbatim replay delivered");
            } else {
                assertEquals(null, raw == null ? null : new String(raw, US_ASCII),
                        "a verbatim replay with an offloaded (incomplete) checksum is dropped by UDP");
            }

            // the replay primitive: the same frame with valid checksums arrives a second time
            UnderlayCapture.inject(nsB, "eth0", UnderlayCapture.fixChecksums(frame));
            rx.setSoTimeout(5000);
            assertArrayEquals(payload, receive(rx), "replayed datagram delivered again");

            // tampering: one payload bit flipped, checksums fixed -> delivered, with the flipped bit
            byte[] tampered = UnderlayCapture.flipPayloadBit(frame, 8 * 3 + 7);
            UnderlayCapture.inject(nsB, "eth0", tampered);
            byte[] got = receive(rx);
            byte[] expected = payload.clone();
            expected[3] ^= 0x01;
            assertArrayEquals(expected, got, "bit-flipped copy delivered: UDP does not check our payload");
            assertNotEquals(new String(payload, US_ASCII), new String(got, US_ASCII));

            // a flip that leaves the UDP checksum wrong is dropped by the kernel, not delivered
            byte[] badSum = UnderlayCapture.flipBit(UnderlayCapture.fixChecksums(frame), l4.payloadOffset() * 8);
            UnderlayCapture.inject(nsB, "eth0", badSum);
            rx.setSoTimeout(700);
            assertEquals(null, tryReceive(rx), "a copy with a wrong UDP checksum is not delivered");

            // the capture on A sees the injected frames arrive too
            assertTrue(cap.awaitCount(5, WAIT), "original + 4 injected frames: " + cap.count());
            assertEquals(5, cap.countUdp(7000));
            assertEquals(3, cap.countContaining(payload), "the original and the two verbatim/fixed replays");
        }
    }

    @Test
    void unknownNamespaceInterfaceAndFilterAreNamed() {
        String missing = Sweeper.PREFIX + runId + "-nosuch";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UnderlayCapture.start(missing, "eth0", null));
        assertTrue(e.getMessage().contains("\"" + missing + "\""), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> UnderlayCapture.start(nsA, "eth9", null));
        assertTrue(e.getMessage().contains("\"eth9\"") && e.getMessage().contains(nsA), e.getMessage());
        assertTrue(e.getMessage().contains("eth0") && e.getMessage().contains("lo"), "lists what exists: " + e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> UnderlayCapture.inject(missing, "eth0", new byte[60]));
        assertTrue(e.getMessage().contains(missing), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> UnderlayCapture.inject(nsB, "ul-nosuch", new byte[60]));
        assertTrue(e.getMessage().contains("ul-nosuch") && e.getMessage().contains(nsB), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> UnderlayCapture.start(nsA, "eth0", "udp port banana"));
        assertTrue(e.getMessage().contains("udp port banana"), e.getMessage());

    }

    @Test
    void capsCountDropsAndCloseIsPromptAndIdempotent() throws Exception {
        UnderlayCapture cap = UnderlayCapture.start(nsA, "eth0", "udp dst port 7001", 2, Long.MAX_VALUE);
        try (DatagramSocket rx = udpSocket(nsA, 7001)) {
            inNs(nsB, () -> {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(IP_B, 0))) {
                    for (int i = 0; i < 5; i++) {
                        byte[] p = ("cap-" + i).getBytes(US_ASCII);
                        s.send(new DatagramPacket(p, p.length, new InetSocketAddress(IP_A, 7001)));
                    }
                }
                return null;
            });
            for (int i = 0; i < 5; i++) {
                receive(rx);
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (cap.dropped() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(2, cap.count());
            assertEquals(3, cap.dropped());
            assertEquals(0, cap.kernelDrops());
            cap.clear();
            assertEquals(0, cap.count());
        } finally {
            long t0 = System.nanoTime();
            cap.close();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2000, "close took " + ms + " ms");
        }
        cap.close(); // idempotent
        assertEquals(0, cap.kernelDrops(), "stats kept after close");
    }

    /**
     * The set-up the encrypted-mesh tests use: a docker-less test bed, capture on the underlay
     * bridge. A promiscuous capture on br0 sees unicast the bridge forwards between host ports (a
     * non-promiscuous one would not); injecting on a host's bridge port delivers to that host.
     */
    @Test
    void onATestbedUnderlayBridgeForwardedUnicastIsSeenAndInjectionOnAPortReachesTheHost() throws Exception {
        String bedId = Testbed.newRunId();
        LeakCheck bedBefore = LeakCheck.snapshot(bedId);
        try (Testbed tb = Testbed.builder().hosts(2).docker(false).runId(bedId).sweepStale(false).start()) {
            SimHost h1 = tb.host(1);
            SimHost h2 = tb.host(2);
            try (UnderlayCapture cap = UnderlayCapture.start(tb.underlayNetns(), "br0", null);
                 DatagramSocket rx = udpSocket(h2.netns(), h2.underlayIp(), 4789)) {
                byte[] payload = ("UNDERLAY-" + bedId).getBytes(US_ASCII);
                inNs(h1.netns(), () -> {
                    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(h1.underlayIp(), 0))) {
                        for (int i = 0; i < 3; i++) { // the first ones may wait for ARP
                            s.send(new DatagramPacket(payload, payload.length, new InetSocketAddress(h2.underlayIp(), 4789)));
                        }
                    }
                    return null;
                });
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(payload, receive(rx));
                }
                assertTrue(cap.await(f -> UnderlayCapture.indexOf(f, payload, 0) >= 0, 3, WAIT),
                        "forwarded unicast seen on br0: " + cap.ipv4());
                assertEquals(3, cap.countUdp(4789));
                assertEquals(h2.underlayIp(), cap.udp(4789).get(0).dst().getHostAddress());

                UnderlayCapture.inject(tb.underlayNetns(), h2.underlayPort(), UnderlayCapture.fixChecksums(cap.udp(4789).get(0).frame()));
                assertArrayEquals(payload, receive(rx), "replay injected on " + h2.underlayPort() + " delivered to host2");
                cap.writePcap(tb.logDir().resolve("underlay.pcap"));
            }
            assertEquals(0, packetSockets(tb.underlayNetns()), "packet sockets left on the underlay");
        }
        bedBefore.assertNoLeaks();
    }

    // ---------------------------------------------------------------- helpers

    private static <T> T inNs(String ns, Callable<T> task) {
        try (NetNs n = NetNs.openNamed(ns)) {
            return n.call(task);
        }
    }

    private static DatagramSocket udpSocket(String ns, int port) {
        return udpSocket(ns, IP_A, port);
    }

    /** A UDP socket bound in {@code ns} (the socket keeps that namespace; use it from any thread). */
    private static DatagramSocket udpSocket(String ns, String ip, int port) {
        return inNs(ns, () -> {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(ip, port));
            s.setSoTimeout(5000);
            return s;
        });
    }

    private static byte[] receive(DatagramSocket s) throws Exception {
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        return Arrays.copyOf(buf, p.getLength());
    }

    private static byte[] tryReceive(DatagramSocket s) throws Exception {
        try {
            return receive(s);
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    /** IPv4 header sums to 0xffff, and so does the UDP/TCP pseudo-header + segment (UDP 0 = none). */
    private static boolean onesComplementOk(byte[] f, UnderlayCapture.L4 p) {
        int ihl = p.l4Offset() - p.ipOffset();
        if (fold(f, p.ipOffset(), ihl, 0) != 0xffff) {
            return false;
        }
        int len = p.payloadOffset() + p.payloadLength() - p.l4Offset();
        if (p.isUdp() && f[p.l4Offset() + 6] == 0 && f[p.l4Offset() + 7] == 0) {
            return true;
        }
        long pseudo = fold(f, p.ipOffset() + 12, 8, 0) + p.protocol() + len;
        return fold(f, p.l4Offset(), len, pseudo) == 0xffff;
    }

    private static int fold(byte[] b, int off, int len, long start) {
        long s = start;
        for (int i = 0; i < len; i++) {
            s += (i % 2 == 0) ? (b[off + i] & 0xff) << 8 : (b[off + i] & 0xff);
        }
        while (s > 0xffff) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    /** Packet sockets open in a namespace (any process), from {@code /proc/thread-self/net/packet} there. */
    private static long packetSockets(String ns) {
        return inNs(ns, () -> Files.readAllLines(Path.of("/proc/thread-self/net/packet")).stream().skip(1)
                .filter(l -> !l.isBlank()).count());
    }
}
