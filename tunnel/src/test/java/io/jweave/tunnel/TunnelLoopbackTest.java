package io.jweave.tunnel;

import static io.jweave.tunnel.Pair.A;
import static io.jweave.tunnel.Pair.B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunnelLoopbackTest {

    static void await(String what, long millis, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void packetsCrossBothWays() throws Exception {
        try (Pair p = new Pair(Pair.PSK, Pair.PSK, Duration.ofSeconds(120))) {
            byte[] ab = Packets.ipv4(A, B, "hello B".getBytes(StandardCharsets.US_ASCII));
            p.devA.inject(ab);
            assertArrayEquals(ab, p.devB.take(5000));
            byte[] ba = Packets.ipv4(B, A, "hello A".getBytes(StandardCharsets.US_ASCII));
            p.devB.inject(ba);
            assertArrayEquals(ba, p.devA.take(5000));
            await("peerUp on both", 3000, () -> p.lisA.up.contains(B) && p.lisB.up.contains(A));
            assertEquals(1, p.a.stats().getHandshakesInitiated());
            assertEquals(0, p.b.stats().getHandshakesInitiated(), "B had a session to answer on");
            assertEquals(1, p.a.stats().getTxPackets());
            assertEquals(1, p.b.stats().getRxPackets());
            List<PeerState> peers = p.a.peers();
            assertEquals(1, peers.size());
            PeerState ps = peers.get(0);
            assertEquals(B, ps.address());
            assertTrue(ps.established());
            assertNotNull(ps.since());
            assertNull(ps.refusedReason());
            assertEquals(ab.length, ps.txBytes());
            assertTrue(p.lisA.refused.isEmpty() && p.lisB.refused.isEmpty());
        }
    }

    @Test
    void aPeerCannotSpeakForAnotherAddress() throws Exception {
        try (Pair p = new Pair(Pair.PSK, Pair.PSK, Duration.ofSeconds(120))) {
            byte[] ok = Packets.ipv4(A, B, "from A".getBytes(StandardCharsets.US_ASCII));
            p.devA.inject(ok);
            assertArrayEquals(ok, p.devB.take(5000));
            // sealed by A's tunnel, but claiming to come from someone else: B must not write it
            java.net.InetAddress other = java.net.InetAddress.getByName("198.51.100.77");
            p.devA.inject(Packets.ipv4(other, B, "spoofed".getBytes(StandardCharsets.US_ASCII)));
            await("B counted the spoofed packet", 3000, () -> p.b.stats().getSpoofed() == 1);
            assertNull(p.devB.take(200), "a packet with another source address was delivered");
            assertEquals(1, p.b.stats().getRxPackets());
        }
    }

    @Test
    void wrongPasswordRefusedOnBothSidesNothingDelivered() throws Exception {
        Psk other = Psk.ofKey(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
        try (Pair p = new Pair(Pair.PSK, other, Duration.ofSeconds(120))) {
            p.devA.inject(Packets.ipv4(A, B, new byte[10]));
            await("A refuses", 3000, () -> p.lisA.refused.contains("127.0.0.2: wrong password or none"));
            await("B refuses", 8000, () -> p.lisB.refused.contains("127.0.0.1: wrong password or none"));
            assertNull(p.devB.take(100));
            assertNull(p.devA.take(10));
            assertEquals(0, p.a.stats().getHandshakesCompleted());
            assertEquals(0, p.b.stats().getHandshakesCompleted());
            assertTrue(p.a.stats().getHandshakeFailures() >= 1);
            PeerState ps = p.a.peers().get(0);
            assertFalse(ps.established());
            assertEquals("wrong password or none", ps.refusedReason());
            assertNotNull(ps.refusedAt());
            assertTrue(p.lisA.up.isEmpty() && p.lisB.up.isEmpty());
        }
    }

    @Test
    void plaintextAndEncryptedTellEachOtherWhy() throws Exception {
        try (Pair p = new Pair(Pair.PSK, null, Duration.ofSeconds(120))) {
            p.devA.inject(Packets.ipv4(A, B, new byte[10]));
            await("A told B has no password", 3000, () -> p.lisA.refused.contains("127.0.0.2: it has no password"));
            await("B told A uses one", 3000,
                    () -> p.lisB.refused.contains("127.0.0.1: it uses a password; this router has none"));
            p.b.probe(A);
            await("B told A requires one", 3000,
                    () -> p.lisB.refused.contains("127.0.0.1: it requires a password; this router has none"));
            await("A told B has none", 3000, () -> p.lisA.refused.contains("127.0.0.2: no password"));
            assertTrue(p.b.stats().getNoticesSent() >= 1);
            assertTrue(p.a.stats().getNoticesSent() >= 1);
        }
    }

    @Test
    void plaintextModeAnswersNothingButInitiations() throws Exception {
        int port = Packets.freePort("127.0.0.2");
        Tunnel plain = new Tunnel(new TunnelConfig(new InetSocketAddress(B, port), port, null, null, 1500), null, null);
        plain.start();
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress(A, 0))) {
            s.setSoTimeout(300);
            InetSocketAddress to = new InetSocketAddress(B, port);
            byte[] init = new byte[Tunnel.INITIATION_LEN];
            init[0] = 1;
            s.send(new java.net.DatagramPacket(init, init.length, to));
            java.net.DatagramPacket r = new java.net.DatagramPacket(new byte[100], 100);
            s.receive(r);
            assertEquals(4, r.getLength());
            assertEquals(4, r.getData()[0]);
            assertEquals(Tunnel.NOTICE_NO_PASSWORD, r.getData()[1]);
            // within the same second: rate-limited
            s.send(new java.net.DatagramPacket(init, init.length, to));
            byte[] probe = {4, Tunnel.NOTICE_PROBE, 0, 0};
            s.send(new java.net.DatagramPacket(probe, probe.length, to));
            byte[] transport = new byte[64];
            transport[0] = 3;
            s.send(new java.net.DatagramPacket(transport, transport.length, to));
            try {
                s.receive(r);
                throw new AssertionError("plaintext mode answered " + r.getLength() + " bytes");
            } catch (java.net.SocketTimeoutException expected) {
                // nothing
            }
        } finally {
            plain.close();
        }
    }

    @Test
    void replayedAndBitFlippedTransportDroppedAndCounted() throws Exception {
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        InetSocketAddress bAddr = new InetSocketAddress(B, port);
        try (UdpRelay relay = new UdpRelay("127.0.0.2", "127.0.0.1", bAddr)) {
            MemDevice devA = new MemDevice();
            MemDevice devB = new MemDevice();
            Tunnel a = new Tunnel(new TunnelConfig(new InetSocketAddress(A, port), relay.port(), Pair.PSK, null, 1500), devA, null);
            Tunnel b = new Tunnel(new TunnelConfig(bAddr, port, Pair.PSK, null, 1500), devB, null);
            a.start();
            b.start();
            try {
                byte[] pkt = Packets.numbered(A, B, 1, 200);
                devA.inject(pkt);
                assertArrayEquals(pkt, devB.take(5000));
                byte[] captured = relay.seen.stream().filter(d -> d[0] == 3 && d.length > 32).reduce((x, y) -> y).orElseThrow();
                relay.send(captured);
                await("replay counted", 3000, () -> b.stats().getReplayed() == 1);
                assertNull(devB.take(200));

                relay.holdNextTransport = true;
                byte[] pkt2 = Packets.numbered(A, B, 2, 200);
                devA.inject(pkt2);
                byte[] held = relay.held.poll(5, TimeUnit.SECONDS);
                assertNotNull(held);
                byte[] flipped = held.clone();
                flipped[40] ^= 0x01;
                relay.send(flipped);
                await("forgery counted", 3000, () -> b.stats().getForged() == 1);
                byte[] badCounter = held.clone();
                ByteBuffer.wrap(badCounter).putLong(8, 1_000_000L);
                relay.send(badCounter);
                await("second forgery counted", 3000, () -> b.stats().getForged() == 2);
                assertNull(devB.take(200));
                relay.send(held); // the genuine one still passes: forgeries did not move the window
                assertArrayEquals(pkt2, devB.take(3000));
                byte[] unknown = held.clone();
                ByteBuffer.wrap(unknown).putInt(4, ByteBuffer.wrap(held).getInt(4) + 1);
                relay.send(unknown);
                await("unknown session counted", 3000, () -> b.stats().getUnknownSession() >= 1);
                assertEquals(1, b.stats().getReplayed());
            } finally {
                a.close();
                b.close();
            }
        }
    }

    @Test
    void forcedRekeysDuringStreamLoseNothing() throws Exception {
        try (Pair p = new Pair(Pair.PSK, Pair.PSK, Duration.ofSeconds(2))) {
            int n = 4000;
            BitSet gotB = new BitSet();
            BitSet gotA = new BitSet();
            Thread sinkB = sink(p.devB, gotB, n);
            Thread sinkA = sink(p.devA, gotA, n);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                p.devA.inject(Packets.numbered(A, B, i, 300));
                p.devB.inject(Packets.numbered(B, A, i, 300));
                if (i % 400 == 200) {
                    (i % 800 == 200 ? p.a : p.b).rekeyAll();
                }
                if (i % 10 == 0) {
                    Thread.sleep(15); // ~6 s in all: spans natural rekeys (2 s) too
                }
            }
            sinkB.join(15000);
            sinkA.join(15000);
            System.out.printf("rekey stream: %d packets each way in %.1f s; rekeys A=%d B=%d%n", n,
                    (System.nanoTime() - start) / 1e9, p.a.stats().getRekeys(), p.b.stats().getRekeys());
            assertEquals(n, gotB.cardinality(), "A->B delivered; stats B " + p.b.stats());
            assertEquals(n, gotA.cardinality(), "B->A delivered; stats A " + p.a.stats());
            assertTrue(p.a.stats().getRekeys() + p.b.stats().getRekeys() >= 10, "rekeys happened");
            assertEquals(0, p.a.stats().getQueueDrops() + p.b.stats().getQueueDrops());
            assertEquals(0, p.a.stats().getReplayed() + p.b.stats().getReplayed());
        }
    }

    private static Thread sink(MemDevice dev, BitSet got, int n) {
        Thread t = new Thread(() -> {
            try {
                while (got.cardinality() < n) {
                    byte[] pkt = dev.take(10_000);
                    if (pkt == null) {
                        return;
                    }
                    synchronized (got) {
                        got.set(Packets.number(pkt));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        return t;
    }

    @Test
    void restartedPeerRecovers() throws Exception {
        try (Pair p = new Pair(Pair.PSK, Pair.PSK, Duration.ofSeconds(120))) {
            p.devA.inject(Packets.numbered(A, B, 1, 100));
            assertNotNull(p.devB.take(5000));
            p.b.close();
            p.newB(Pair.PSK, p.port);
            // A still holds the old session; the new B sees an unknown index and initiates.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            byte[] got = null;
            int i = 2;
            while (got == null && System.nanoTime() < end) {
                p.devA.inject(Packets.numbered(A, B, i++, 100));
                got = p.devB.take(100);
            }
            assertNotNull(got, "the restarted peer gets traffic again");
            byte[] back = Packets.numbered(B, A, 99, 100);
            p.devB.inject(back);
            assertArrayEquals(back, p.devA.take(5000));
            System.out.println("restart: recovered after " + (i - 2) + " packets sent at 100 ms intervals; new B unknownSession="
                    + p.b.stats().getUnknownSession());
        }
    }

    @Test
    void secretsDoNotPrint() {
        Psk psk = Psk.ofKey(new byte[] {0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
                0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41});
        String s = new TunnelConfig(new InetSocketAddress(A, 1), 1, psk, null, 1500).toString();
        assertFalse(s.contains("AAAA") || s.contains("65, 65") || s.contains("4141"), s);
        assertTrue(s.contains("redacted"));
    }
}
