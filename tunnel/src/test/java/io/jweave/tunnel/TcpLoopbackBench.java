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
            TunnelLoopbackBench.rounds(p, size, "tcp", () -> "A send errors " + p.a.stats().getSendErrors());
        }
    }
}
