package io.jweave.tunnel;

import static io.jweave.tunnel.Pair.A;
import static io.jweave.tunnel.Pair.B;
import static io.jweave.tunnel.TunnelLoopbackTest.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The TCP transport: when all UDP between two tunnels is dropped, packets go over TCP, and back to UDP after. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TcpTransportTest {

    static int freeTcpPort() throws IOException {
        for (int i = 0; i < 50; i++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, A)) {
                port = s.getLocalPort();
            }
            try (ServerSocket s = new ServerSocket(port, 1, B)) {
                return port;
            } catch (IOException e) {
                // taken there: next
            }
        }
        throw new IOException("no common free tcp port");
    }

    @Test
    void allUdpDroppedPacketsGoOverTcpAndComeBack() throws Exception {
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        int tcpPort = freeTcpPort();
        try (UdpRelay ab = new UdpRelay("127.0.0.2", "127.0.0.1", new InetSocketAddress(B, port));
                UdpRelay ba = new UdpRelay("127.0.0.1", "127.0.0.2", new InetSocketAddress(A, port));
                Pair p = new Pair(null, true, null, true, Duration.ofSeconds(120), port, ab.port(), ba.port(), tcpPort)) {
            p.a.watch(List.of(B));
            p.b.watch(List.of(A));
            await("UDP and TCP up at A", 8000, () -> p.a.path(B).map(x -> x.transport() == Transport.UDP && x.tcpUp()).orElse(false));
            await("UDP and TCP up at B", 3000, () -> p.b.path(A).map(x -> x.transport() == Transport.UDP && x.tcpUp()).orElse(false));
            System.out.println("tcp: both up: " + p.a.path(B).get());
            assertTrue(p.a.path(B).get().tcpRttMicros() >= 0);
            byte[] first = Packets.numbered(A, B, 0, 1500);
            p.devA.inject(first);
            assertArrayEquals(first, p.devB.take(5000));
            long tcpFramesBefore = p.a.stats().getTcpTxFrames();

            ab.dropAll = true;
            ba.dropAll = true;
            long t0 = System.nanoTime();
            await("A on TCP", 6000, () -> p.a.path(B).get().transport() == Transport.TCP);
            await("B on TCP", 2000, () -> p.b.path(A).get().transport() == Transport.TCP);
            double s = (System.nanoTime() - t0) / 1e9;
            PeerPath path = p.a.path(B).get();
            System.out.printf("tcp: transport TCP %.2f s after all UDP was dropped: %s%n", s, path);
            assertEquals("no answer over udp for 3.5 s; tcp answers", path.reason());
            for (int i = 1; i <= 200; i++) {
                byte[] ab1 = Packets.numbered(A, B, i, i % 2 == 0 ? 1500 : 100);
                p.devA.inject(ab1);
                assertArrayEquals(ab1, p.devB.take(5000), "A->B " + i);
                byte[] ba1 = Packets.numbered(B, A, i, 1500);
                p.devB.inject(ba1);
                assertArrayEquals(ba1, p.devA.take(5000), "B->A " + i);
            }
            assertTrue(p.a.stats().getTcpTxFrames() - tcpFramesBefore >= 200);
            assertEquals(1, p.a.stats().getHandshakesCompleted() + p.b.stats().getHandshakesCompleted() > 0 ? 1 : 0);

            // a rekey while UDP is blocked: the handshake goes over TCP
            p.a.rekeyAll();
            await("rekeyed over TCP", 5000, () -> p.a.stats().getRekeys() + p.b.stats().getRekeys() >= 1);
            byte[] after = Packets.numbered(A, B, 999, 500);
            p.devA.inject(after);
            assertArrayEquals(after, p.devB.take(5000));

            ab.dropAll = false;
            ba.dropAll = false;
            long t1 = System.nanoTime();
            await("A back on UDP", 5000, () -> p.a.path(B).get().transport() == Transport.UDP);
            System.out.printf("tcp: back to UDP %.2f s after UDP passed again: %s%n", (System.nanoTime() - t1) / 1e9,
                    p.a.path(B).get());
            assertEquals("udp answers again", p.a.path(B).get().reason());
            long tcpNow = p.a.stats().getTcpTxFrames();
            long udpSeen = ab.seen.size();
            byte[] again = Packets.numbered(A, B, 1000, 1400);
            p.devA.inject(again);
            assertArrayEquals(again, p.devB.take(5000));
            await("data over UDP", 2000, () -> ab.seen.size() > udpSeen);
            assertTrue(p.a.stats().getTcpTxFrames() - tcpNow <= 3, "only PINGs over TCP, no data");
            await("events", 2000, () -> p.lisA.paths.size() >= 3);
            System.out.println("tcp: A " + p.a.stats());
        }
    }

    /** EOF or a reset: either way the tunnel closed it. */
    static void assertClosed(InputStream in) throws IOException {
        try {
            while (in.read() >= 0) {
                // the tunnel may answer first (an initiation after an unknown session): read on
            }
        } catch (java.net.SocketException e) {
            assertTrue(e.getMessage().contains("reset"), e.toString());
        }
    }

    @Test
    void garbageConnectionsAreDropped() throws Exception {
        int tcpPort = freeTcpPort();
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        try (Pair p = new Pair(null, true, null, true, Duration.ofSeconds(120), port, 0, 0, tcpPort)) {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress("127.0.0.3", 0));
                s.connect(new InetSocketAddress(B, tcpPort));
                s.getOutputStream().write(new byte[] {0, 1, 9}); // a 1-byte frame: not ours
                s.setSoTimeout(3000);
                assertClosed(s.getInputStream());
            }
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress("127.0.0.3", 0));
                s.connect(new InetSocketAddress(B, tcpPort));
                byte[] junk = new byte[2 + 60];
                junk[1] = 60;
                junk[2] = 3; // a "transport message" for no session
                s.getOutputStream().write(junk);
                s.setSoTimeout(15_000);
                long t0 = System.nanoTime();
                assertClosed(s.getInputStream());
                double secs = (System.nanoTime() - t0) / 1e9;
                assertTrue(secs > 5 && secs < 12, "closed after " + secs + " s");
            }
            assertTrue(p.b.stats().getUnknownSession() >= 1);
        }
    }
}
