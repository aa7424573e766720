package io.jweave.tunnel;

import static io.jweave.tunnel.Pair.A;
import static io.jweave.tunnel.Pair.B;
import static io.jweave.tunnel.TunnelLoopbackTest.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Path MTU discovery against a relay that silently drops big datagrams, and fragmentation above the pmtu. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PmtuTest {

    @Test
    void fullSizeInnerPacketsCrossInFragments() throws Exception {
        try (Pair p = new Pair(Pair.PSK, Pair.PSK, Duration.ofSeconds(120))) {
            for (int size : new int[] {1440, 1441, 1500, 1500, 1499, 100}) {
                byte[] pkt = Packets.numbered(A, B, size, size);
                p.devA.inject(pkt);
                assertArrayEquals(pkt, p.devB.take(5000), "size " + size);
            }
            assertEquals(4, p.a.stats().getFragmented());
            assertEquals(4, p.b.stats().getReassembled());
            assertEquals(6, p.b.stats().getRxPackets());
            assertEquals(0, p.b.stats().getFragmentDrops());
        }
    }

    @Test
    void blackHoleFoundAndFullSizePacketsStillCross() throws Exception {
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        try (UdpRelay relay = new UdpRelay("127.0.0.2", "127.0.0.1", new InetSocketAddress(B, port));
                Pair p = new Pair(Pair.PSK, false, Pair.PSK, false, Duration.ofSeconds(120), port, 0, 0, 0)) {
            p.a.close();
            MemDevice devA = new MemDevice();
            Tunnel a = new Tunnel(new TunnelConfig(new InetSocketAddress(A, p.port), relay.port(), Pair.PSK, null, 1500), devA, null);
            relay.dropAbove = 1400 - 28; // outer IPv4 datagrams above 1400 bytes vanish
            a.start();
            try {
                long t0 = System.nanoTime();
                a.watch(List.of(B));
                p.b.watch(List.of(A));
                await("UDP up", 5000, () -> a.path(B).map(x -> x.transport() == Transport.UDP).orElse(false));
                await("pmtu found", 10_000, () -> a.path(B).get().pmtu() <= 1400);
                double s = (System.nanoTime() - t0) / 1e9;
                PeerPath path = a.path(B).get();
                System.out.printf("black hole above 1400: pmtu %d after %.1f s (watch to decision): %s%n", path.pmtu(), s, path);
                assertEquals(1400, path.pmtu(), "the largest candidate that passes");
                for (int i = 0; i < 50; i++) {
                    byte[] pkt = Packets.numbered(A, B, i, 1500);
                    devA.inject(pkt);
                    assertArrayEquals(pkt, p.devB.take(5000));
                }
                Thread.sleep(2500);
                assertEquals(1400, a.path(B).get().pmtu(), "stays");
                assertEquals(1500, p.b.path(A).get().pmtu(), "the other way has no black hole");
                relay.dropAbove = Integer.MAX_VALUE;
                System.out.println("relay dropped " + relay.dropped.get() + " big datagrams");
            } finally {
                a.close();
            }
        }
    }
}
