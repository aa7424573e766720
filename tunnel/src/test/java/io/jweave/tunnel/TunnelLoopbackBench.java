package io.jweave.tunnel;

import static io.jweave.tunnel.Pair.A;
import static io.jweave.tunnel.Pair.B;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * A measurement, not a test: what encrypt + UDP loopback + decrypt of 1400-byte packets does here,
 * with in-memory devices ({@code java -cp ... io.jweave.tunnel.TunnelLoopbackBench}). The kernel path
 * (TUN devices, iperf3 through them) is {@link TunnelIperf}.
 */
public final class TunnelLoopbackBench {
    private TunnelLoopbackBench() {
    }

    /** {@code TunnelLoopbackBench [SIZE]}: inner packet size (default 1400; 1500 = two fragments each over a 1500 pmtu). */
    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 1400;
        try (Pair p = new Pair(Pair.PSK, Pair.PSK, Duration.ofSeconds(120))) {
            byte[] first = Packets.numbered(A, B, 0, 1400);
            p.devA.inject(first);
            if (p.devB.take(5000) == null) {
                throw new IllegalStateException("the first packet did not cross the tunnel");
            }
            rounds(p, size, "throughput", () -> String.format("fragmented %d, fragment drops at B %d",
                    p.a.stats().getFragmented(), p.b.stats().getFragmentDrops()));
        }
    }

    /**
     * Three rounds of 200,000 {@code size}-byte packets from A to B, each printed as
     * {@code LABEL round N: ...} with the packet rate, the throughput and {@code details} (read after the round).
     * Also {@link TcpLoopbackBench}'s measurement.
     */
    static void rounds(Pair p, int size, String label, Supplier<String> details) throws InterruptedException {
        byte[] pkt = Packets.numbered(A, B, 1, size);
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
            System.out.printf("%s round %d: %d/%d packets delivered in %.2f s: %.0f packets/s, %.2f Gbit/s (%d-byte packets; %s)%n",
                    label, round, got, n, secs, got / secs, got * size * 8 / secs / 1e9, size, details.get());
            drain.interrupt();
            drain.join();
        }
    }
}
