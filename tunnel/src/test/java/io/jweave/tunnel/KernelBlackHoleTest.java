package io.jweave.tunnel;

import static io.jweave.tunnel.KernelTunnelTest.inNs;
import static io.jweave.tunnel.KernelTunnelTest.run;
import static io.jweave.tunnel.KernelTunnelTest.sh;
import static io.jweave.tunnel.KernelTunnelTest.status;
import static io.jweave.tunnel.TunnelLoopbackTest.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An MTU black hole: A -- veth -- [bridge in a switch namespace] -- veth -- B, where the switch's port
 * toward B has MTU 1400 while A and B believe 1500. The bridge drops larger frames without a word (no
 * ICMP). Tunnels with in-memory devices in A and B (their sockets live in the namespaces).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KernelBlackHoleTest {
    static final String NA = "jwbhA" + ProcessHandle.current().pid();
    static final String NS = "jwbhS" + ProcessHandle.current().pid();
    static final String NB = "jwbhB" + ProcessHandle.current().pid();

    @BeforeAll
    static void namespaces() throws Exception {
        cleanup();
        for (String n : new String[] {NA, NS, NB}) {
            run("ip", "netns", "add", n);
            sh(n, "ip link set lo up");
        }
        run("ip", "link", "add", "jwbha", "netns", NA, "type", "veth", "peer", "name", "jwbsa", "netns", NS);
        run("ip", "link", "add", "jwbhb", "netns", NB, "type", "veth", "peer", "name", "jwbsb", "netns", NS);
        sh(NS, "ip link add jwbr0 type bridge");
        sh(NS, "ip link set jwbsa master jwbr0");
        sh(NS, "ip link set jwbsb master jwbr0");
        sh(NS, "ip link set jwbsb mtu 1400");
        sh(NS, "ip link set jwbsa up");
        sh(NS, "ip link set jwbsb up");
        sh(NS, "ip link set jwbr0 up");
        sh(NA, "ip addr add 198.51.100.1/24 dev jwbha");
        sh(NA, "ip link set jwbha up");
        sh(NB, "ip addr add 198.51.100.2/24 dev jwbhb");
        sh(NB, "ip link set jwbhb up");
    }

    @AfterAll
    static void cleanup() throws Exception {
        status("ip", "netns", "del", NA);
        status("ip", "netns", "del", NS);
        status("ip", "netns", "del", NB);
    }

    static Tunnel tunnelIn(String ns, String self, int port, MemDevice dev) throws Exception {
        return inNs(ns, () -> {
            Tunnel t = new Tunnel(new TunnelConfig(new InetSocketAddress(InetAddress.getByName(self), port), port,
                    null, true, Duration.ofSeconds(120), 1500, 1500, 0), dev, null);
            t.start();
            return t;
        });
    }

    @Test
    void fullSizePacketsCrossTheBlackHole() throws Exception {
        InetAddress a = InetAddress.getByName("198.51.100.1");
        InetAddress b = InetAddress.getByName("198.51.100.2");
        // the hole is real: a 1500-byte ping with DF does not pass, 1400 does
        assertTrue(KernelTunnelTest.status("ip", "netns", "exec", NA, "ping", "-c", "1", "-W", "1", "-M", "do", "-s",
                "1472", "198.51.100.2") != 0, "1500 passes: no black hole");
        run("ip", "netns", "exec", NA, "ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1372", "198.51.100.2");
        MemDevice devA = new MemDevice();
        MemDevice devB = new MemDevice();
        Tunnel ta = tunnelIn(NA, "198.51.100.1", 51821, devA);
        Tunnel tb = null;
        try {
            tb = tunnelIn(NB, "198.51.100.2", 51821, devB);
            Tunnel tbf = tb;
            long t0 = System.nanoTime();
            ta.watch(List.of(b));
            tb.watch(List.of(a));
            await("pmtu A->B", 15_000, () -> ta.path(b).map(p -> p.pmtu() <= 1400).orElse(false));
            await("pmtu B->A", 5_000, () -> tbf.path(a).map(p -> p.pmtu() <= 1400).orElse(false));
            System.out.printf("kernel black hole: pmtu A->B %d, B->A %d, %.1f s after watch%n", ta.path(b).get().pmtu(),
                    tb.path(a).get().pmtu(), (System.nanoTime() - t0) / 1e9);
            for (int i = 0; i < 100; i++) {
                byte[] ab = Packets.numbered(a, b, i, 1500);
                devA.inject(ab);
                assertArrayEquals(ab, devB.take(5000), "A->B " + i);
                byte[] ba = Packets.numbered(b, a, i, 1500);
                devB.inject(ba);
                assertArrayEquals(ba, devA.take(5000), "B->A " + i);
            }
            System.out.println("kernel black hole: A " + ta.stats() + "\n  B " + tb.stats());
            assertTrue(ta.stats().getFragmented() >= 100 && tb.stats().getReassembled() >= 100);
        } finally {
            ta.close();
            if (tb != null) {
                tb.close();
            }
        }
    }
}
