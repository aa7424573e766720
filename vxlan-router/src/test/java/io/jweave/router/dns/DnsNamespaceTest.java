package io.jweave.router.dns;

import static io.jweave.router.dns.DnsTestKit.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.Handle;
import io.jweave.netlink.NetNs;
import io.jweave.router.dns.DnsTestKit.Answer;
import io.jweave.router.dns.DnsTestKit.MemoryRegistry;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * listen() called inside a fresh network namespace serves that namespace only, while forwarding (and the
 * event loop threads) stay in the namespace that built the server. Needs root.
 */
class DnsNamespaceTest {
    static final int A = 1;

    @Test
    void listenInsideANamespaceServesThereAndForwardsFromTheRoutersNamespace() throws Exception {
        byte[] r = new byte[4];
        ThreadLocalRandom.current().nextBytes(r);
        String name = "jwt-dns-" + HexFormat.of().formatHex(r);
        MemoryRegistry registry = new MemoryRegistry();
        registry.add("blue", "web.jweave.local", "100.64.1.2");
        try (TestUpstream upstream = new TestUpstream();
                NetNs ns = NetNs.create(name)) {
            try (Handle h = Handle.open(ns)) {
                h.links().setUp("lo");
            }
            // A port that is free on the host's loopback; the listener takes the same port inside the namespace.
            int port;
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                port = s.getLocalPort();
            }
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            // The server is built here (host namespace); its first listen() runs inside the namespace.
            try (DnsServer server = new DnsServer(new DnsServerConfig("jweave.local", 5, List.of(upstream.address()),
                    Duration.ofSeconds(2)), registry, 2)) {
                DnsServer.Listener l = ns.call(() -> server.listen("blue", at));
                assertEquals(at, l.address());

                Answer local = ns.call(() -> DnsTestKit.udp(at, query(1, "web", A)));
                assertEquals(List.of("100.64.1.2"), local.addresses());
                Answer localTcp = ns.call(() -> DnsTestKit.tcp(at, query(2, "web.jweave.local", A)));
                assertEquals(List.of("100.64.1.2"), localTcp.addresses());

                // The upstream listens on the host's loopback, unreachable from inside the namespace: an
                // answer proves the forwarding sockets live in the host (router) namespace.
                Answer fwd = ns.call(() -> DnsTestKit.udp(at, query(3, "www.example", A)));
                assertEquals(List.of("192.0.2.7"), fwd.addresses());
                Answer fwdTcp = ns.call(() -> DnsTestKit.tcp(at, query(4, "tcp.example", A)));
                assertEquals(List.of("192.0.2.7"), fwdTcp.addresses());
                assertNull(ns.call(() -> DnsTestKit.udpRaw(upstream.address(), query(5, "x.example", A), 300)),
                        "the upstream must not be reachable from inside the namespace");

                // Nothing listens on the host's loopback at that port.
                assertNull(DnsTestKit.udpRaw(at, query(6, "web", A), 500));
                try (DatagramSocket u = new DatagramSocket(at); ServerSocket t = new ServerSocket(port, 1, at.getAddress())) {
                    assertTrue(u.isBound() && t.isBound());
                }

                // The event loop threads are in the host namespace, though listen() ran in another one.
                String hostNs = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
                String nsId = ns.call(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
                assertFalse(hostNs.equals(nsId));
                List<String> loopNs = dnsThreadNamespaces();
                assertEquals(2, loopNs.size(), "two event loop threads: " + loopNs);
                assertTrue(loopNs.stream().allMatch(hostNs::equals), "loop threads in " + loopNs + ", host is " + hostNs);

                l.close();
                ns.run(() -> {
                    try (DatagramSocket u = new DatagramSocket(at); ServerSocket t = new ServerSocket(port, 1, at.getAddress())) {
                        assertTrue(u.isBound() && t.isBound());
                    } catch (IOException e) {
                        throw new AssertionError("port not released inside the namespace: " + e, e);
                    }
                });
            }
        } finally {
            if (NetNs.exists(name)) {
                NetNs.delete(name);
            }
        }
    }

    /** The network namespaces of this process's jweave-dns threads. */
    private static List<String> dnsThreadNamespaces() throws IOException {
        List<String> out = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    if (comm.startsWith("jweave-dns")) {
                        out.add(Files.readSymbolicLink(t.resolve("ns/net")).toString());
                    }
                } catch (IOException e) {
                    // thread ended meanwhile
                }
            }
        }
        return out;
    }
}
