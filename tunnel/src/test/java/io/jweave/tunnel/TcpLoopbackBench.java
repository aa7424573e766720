package io.jweave.tunnel;

import static io.jweave.tunnel.Pair.A;
import static io.jweave.tunnel.Pair.B;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * A measurement, not a test: like {@link TunnelLoopbackBench}, but all UDP between the two tunnels is
 * dropped (relays), so the packets go over the TCP transport. {@code TcpLoopbackBench [SIZE]}.
 */
public final class TcpLoopbackBench {
    private TcpLoopbackBench() {
    }

    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 1400;
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        int tcpPort = TcpTransportTest.freeTcpPort();
        try (UdpRelay ab = new UdpRelay("127.0.0.2", "127.0.0.1", new InetSocketAddress(B, port));
                UdpRelay ba = new UdpRelay("127.0.0.1", "127.0.0.2", new InetSocketAddress(A, port));
                Pair p = new Pair(null, true, null, true, Duration.ofSeconds(120), port, ab.port(), ba.port(), tcpPort)) {
            ab.dropAll = true;
            ba.dropAll = true;
            p.a.watch(List.of(B));
            p.b.watch(List.of(A));
            TunnelLoopbackTest.await("TCP", 20_000, () -> p.a.path(B).map(x -> x.transport() == Transport.TCP).orElse(false));
            byte[] pkt = Packets.numbered(A, B, 1, size);
            for (int round = 0; round < 3; round++) {
                int n = 200_000;
                long rx0 = p.b.stats().getRxPackets();
                long t0 = System.nanoTime();
                Thread feeder = new Thread(() -> {
                    for (int i = 0; i < n; i++) {
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
                long got = p.b.stats().getRxPackets() - rx0;
                double secs = (System.nanoTime() - t0 - 200e6) / 1e9;
                System.out.printf("tcp round %d: %d/%d packets delivered in %.2f s: %.0f packets/s, %.2f Gbit/s (%d-byte packets; A send errors %d)%n",
                        round, got, n, secs, got / secs, got * size * 8 / secs / 1e9, size, p.a.stats().getSendErrors());
                drain.interrupt();
                drain.join();
            }
        }
    }
}
