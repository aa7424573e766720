package io.jweave.tunnel;

import static io.jweave.tunnel.Pair.A;
import static io.jweave.tunnel.Pair.B;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Not a timed assertion: prints what encrypt + UDP loopback + decrypt of 1400-byte packets does here. */
class ThroughputTest {
    @Test
    void measure() throws Exception {
        try (Pair p = new Pair(Pair.PSK, Pair.PSK, Duration.ofSeconds(120))) {
            byte[] first = Packets.numbered(A, B, 0, 1400);
            p.devA.inject(first);
            assertTrue(p.devB.take(5000) != null);
            byte[] pkt = Packets.numbered(A, B, 1, 1400);
            for (int round = 0; round < 3; round++) {
                int n = 200_000;
                long rx0 = p.b.stats().getRxPackets();
                long t0 = System.nanoTime();
                Thread feeder = new Thread(() -> {
                    for (int i = 0; i < n; i++) {
                        // keep the in-memory queue short so the sender is the bottleneck, not memory
                        while (p.devA.toTunnel.size() > 2000) {
                            Thread.onSpinWait();
                        }
                        p.devA.inject(pkt);
                    }
                });
                feeder.start();
                Thread drain = new Thread(() -> {
                    try {
                        while (p.devB.take(1000) != null) {
                            // discard
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                drain.start();
                feeder.join();
                while (!p.devA.toTunnel.isEmpty()) {
                    Thread.sleep(1);
                }
                Thread.sleep(200);
                long t1 = System.nanoTime();
                long got = p.b.stats().getRxPackets() - rx0;
                double secs = (t1 - t0 - 200e6) / 1e9;
                System.out.printf("throughput round %d: %d/%d packets delivered in %.2f s: %.0f packets/s, %.2f Gbit/s (1400-byte packets)%n",
                        round, got, n, secs, got / secs, got * 1400 * 8 / secs / 1e9);
                drain.interrupt();
                drain.join();
            }
        }
    }
}
