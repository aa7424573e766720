package io.jweave.tunnel;

import static io.jweave.tunnel.Pair.A;
import static io.jweave.tunnel.Pair.B;
import static io.jweave.tunnel.TunnelLoopbackTest.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Open mode (no password, still sessions), watched peers and their paths over UDP. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OpenModeAndPathTest {

    static Pair open() throws Exception {
        return new Pair(null, true, null, true, Duration.ofSeconds(120), Packets.freePort("127.0.0.1", "127.0.0.2"), 0, 0, 0);
    }

    @Test
    void configSaysItsMode() {
        InetSocketAddress l = new InetSocketAddress(A, 1);
        assertEquals(TunnelConfig.Mode.PASSWORD, new TunnelConfig(l, 1, Pair.PSK, null, 1500).mode());
        assertEquals(TunnelConfig.Mode.LISTEN_ONLY, new TunnelConfig(l, 1, null, null, 1500).mode());
        TunnelConfig o = TunnelConfig.openMode(l, 1, null, 1500);
        assertEquals(TunnelConfig.Mode.OPEN, o.mode());
        assertTrue(o.carries());
        assertFalse(o.encrypted());
        assertEquals(1500, o.underlayMtu());
        assertEquals(6785, o.withTcpPort(6785).tcpPort());
        try {
            new TunnelConfig(l, 1, Pair.PSK, true, null, 1500, 1500, 0);
            throw new AssertionError("open with a password accepted");
        } catch (IllegalArgumentException expected) {
            // good
        }
    }

    @Test
    void openModeCarriesPacketsBothWays() throws Exception {
        try (Pair p = open()) {
            byte[] ab = Packets.ipv4(A, B, "hello B".getBytes(StandardCharsets.US_ASCII));
            p.devA.inject(ab);
            assertArrayEquals(ab, p.devB.take(5000));
            byte[] ba = Packets.ipv4(B, A, "hello A".getBytes(StandardCharsets.US_ASCII));
            p.devB.inject(ba);
            assertArrayEquals(ba, p.devA.take(5000));
            await("peerUp on both", 3000, () -> p.lisA.up.contains(B) && p.lisB.up.contains(A));
            assertEquals(1, p.a.stats().getHandshakesCompleted());
            assertTrue(p.lisA.refused.isEmpty() && p.lisB.refused.isEmpty());
        }
    }

    @Test
    void openAndPasswordRefuseEachOther() throws Exception {
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        try (Pair p = new Pair(Pair.PSK, false, null, true, Duration.ofSeconds(120), port, 0, 0, 0)) {
            p.devA.inject(Packets.ipv4(A, B, new byte[10])); // the password side initiates
            await("A told B has no password", 3000, () -> p.lisA.refused.contains("127.0.0.2: it has no password"));
            await("B saw A uses one", 3000,
                    () -> p.lisB.refused.contains("127.0.0.1: it uses a password; this router has none"));
            p.devB.inject(Packets.ipv4(B, A, new byte[10])); // the open side initiates
            await("B told A requires one", 5000,
                    () -> p.lisB.refused.contains("127.0.0.1: it requires a password; this router has none"));
            assertNull(p.devB.take(200));
            assertNull(p.devA.take(10));
            assertEquals(0, p.a.stats().getHandshakesCompleted());
            assertEquals(0, p.b.stats().getHandshakesCompleted());
            assertTrue(p.lisA.up.isEmpty() && p.lisB.up.isEmpty());
        }
    }

    @Test
    void openAndListenOnlyTellEachOther() throws Exception {
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        try (Pair p = new Pair(null, true, null, false, Duration.ofSeconds(120), port, 0, 0, 0)) {
            p.devA.inject(Packets.ipv4(A, B, new byte[10]));
            await("B saw A is open", 3000, () -> p.lisB.refused.contains("127.0.0.1: " + Tunnel.PEER_OPEN_MODE));
            p.b.probe(A); // listen-only asks; the open side answers "no password" and changes nothing
            await("A answered the probe", 3000, () -> p.a.stats().getNoticesSent() >= 1);
            assertTrue(p.lisA.refused.isEmpty(), p.lisA.refused.toString());
        }
    }

    @Test
    void watchedPeersGetAPathOverUdp() throws Exception {
        try (Pair p = open()) {
            long t0 = System.nanoTime();
            p.a.watch(List.of(B));
            p.b.watch(List.of(A));
            await("A's path to B over UDP", 5000, () -> p.a.path(B).map(x -> x.transport() == Transport.UDP).orElse(false));
            double ms = (System.nanoTime() - t0) / 1e6;
            await("an RTT", 3000, () -> p.a.path(B).get().udpRttMicros() >= 0);
            PeerPath path = p.a.path(B).orElseThrow();
            System.out.printf("watch: path UDP after %.0f ms: %s%n", ms, path);
            assertTrue(path.udpUp());
            assertFalse(path.tcpUp());
            assertEquals(1500, path.pmtu());
            assertEquals("udp answers", path.reason());
            assertTrue(path.udpRttMicros() < 1_000_000);
            assertEquals(1, p.a.paths().size());
            assertTrue(p.a.path(A).isEmpty(), "not watched");
            await("the listener heard", 2000, () -> !p.lisA.paths.isEmpty());
            PeerPath[] ev = p.lisA.paths.get(0);
            assertEquals(Transport.NONE, ev[0].transport());
            assertEquals(Transport.UDP, ev[1].transport());
            Thread.sleep(2500);
            assertEquals(0.0, p.a.path(B).get().udpLoss());
            assertTrue(p.a.stats().getPongsReceived() >= 2);
            assertEquals(0, p.a.stats().getTxPackets(), "PINGs are not data");
            assertEquals(0, p.b.stats().getMalformed());
        }
    }

    @Test
    void silenceTakesThePathDown() throws Exception {
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        try (UdpRelay relay = new UdpRelay("127.0.0.2", "127.0.0.1", new InetSocketAddress(B, port));
                Pair p = new Pair(Pair.PSK, false, Pair.PSK, false, Duration.ofSeconds(120), port, 0, 0, 0)) {
            // A reaches B only through the relay
            p.a.close();
            MemDevice devA = new MemDevice();
            RecordingListener lis = new RecordingListener();
            Tunnel a = new Tunnel(new TunnelConfig(new InetSocketAddress(A, port), relay.port(), Pair.PSK, null, 1500), devA, lis);
            a.start();
            try {
                a.watch(List.of(B));
                p.b.watch(List.of(A));
                await("UDP up", 5000, () -> a.path(B).map(x -> x.transport() == Transport.UDP).orElse(false));
                relay.dropAll = true;
                long t0 = System.nanoTime();
                await("path NONE", 6000, () -> a.path(B).get().transport() == Transport.NONE);
                double s = (System.nanoTime() - t0) / 1e9;
                PeerPath path = a.path(B).get();
                System.out.printf("silence: NONE %.2f s after the relay started dropping: %s%n", s, path);
                assertTrue(s < 4.6, "took " + s + " s");
                assertEquals("no answer over udp for 3.5 s", path.reason());
                assertFalse(path.udpUp());
                await("loss seen", 3000, () -> a.path(B).get().udpLoss() > 0);
                relay.dropAll = false;
                long t1 = System.nanoTime();
                await("UDP again", 5000, () -> a.path(B).get().transport() == Transport.UDP);
                System.out.printf("silence: UDP again %.2f s after the relay passed again%n", (System.nanoTime() - t1) / 1e9);
                assertEquals("udp answers again", a.path(B).get().reason());
                await("events", 2000, () -> lis.paths.size() == 3);
            } finally {
                a.close();
            }
        }
    }
}
