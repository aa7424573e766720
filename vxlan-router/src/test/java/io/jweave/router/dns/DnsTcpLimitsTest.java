package io.jweave.router.dns;

import static io.jweave.router.dns.DnsTestKit.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.router.dns.DnsTestKit.MemoryRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TCP connections are bounded: idle ones are closed, and a listener takes at most MAX_TCP_CONNECTIONS. */
class DnsTcpLimitsTest {

    @Test
    void idleConnectionsAreClosedAndTheirCountIsBounded() throws Exception {
        MemoryRegistry registry = new MemoryRegistry();
        registry.add("blue", "web.jweave.local", "100.64.1.2");
        try (DnsServer server = new DnsServer(DnsServerConfig.of("jweave.local", 5, List.of()), registry, 2,
                Duration.ofMillis(500))) {
            InetSocketAddress at = server.listen("blue", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).address();

            // idle: closed by the server after about 500 ms
            try (Socket s = new Socket()) {
                s.connect(at, 5000);
                s.setSoTimeout(20_000);
                long t0 = System.nanoTime();
                assertEquals(-1, s.getInputStream().read(), "the server closes an idle connection");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms >= 400, "closed after " + ms + " ms, before the idle timeout");
            }
        }
        try (DnsServer server = new DnsServer(DnsServerConfig.of("jweave.local", 5, List.of()), registry, 2,
                Duration.ofSeconds(60))) {
            InetSocketAddress at = server.listen("blue", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).address();

            // bounded: MAX_TCP_CONNECTIONS are served, the next one is closed at once
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < DnsServer.MAX_TCP_CONNECTIONS; i++) {
                    Socket s = new Socket();
                    s.connect(at, 5000);
                    open.add(s);
                }
                // every one of them is accepted and served
                for (int i = 0; i < open.size(); i += 51) {
                    assertEquals(List.of("100.64.1.2"), ask(open.get(i), query(i, "web", 1)).addresses());
                }
                try (Socket extra = new Socket()) {
                    extra.connect(at, 5000);
                    extra.setSoTimeout(10_000);
                    extra.getOutputStream().write(frame(query(9999, "web", 1)));
                    int r;
                    try {
                        r = extra.getInputStream().read();
                    } catch (IOException e) { // reset
                        r = -1;
                    }
                    assertEquals(-1, r, "connection over the limit closed without an answer");
                }
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
            // closed connections are counted down: a new one is served again (the server may take a moment)
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (true) {
                try (Socket s = new Socket()) {
                    s.connect(at, 5000);
                    assertEquals(List.of("100.64.1.2"), ask(s, query(1, "web", 1)).addresses());
                    break;
                } catch (IOException | AssertionError e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
        }
    }

    private static byte[] frame(byte[] q) {
        byte[] f = new byte[q.length + 2];
        f[0] = (byte) (q.length >> 8);
        f[1] = (byte) q.length;
        System.arraycopy(q, 0, f, 2, q.length);
        return f;
    }

    private static DnsTestKit.Answer ask(Socket s, byte[] q) throws IOException {
        s.setSoTimeout(10_000);
        s.getOutputStream().write(frame(q));
        InputStream in = s.getInputStream();
        int hi = in.read();
        int lo = in.read();
        if (hi < 0 || lo < 0) {
            throw new IOException("connection closed");
        }
        byte[] m = in.readNBytes((hi << 8) | lo);
        return DnsTestKit.decode(m);
    }

}
