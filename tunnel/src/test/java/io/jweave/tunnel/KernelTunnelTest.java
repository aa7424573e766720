package io.jweave.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two throwaway network namespaces joined by a veth (198.51.100.1/24, .2/24), each with a TUN and a
 * Tunnel; policy routing sends ICMP and UDP to port 9999 into the TUN, as the router will do for
 * VXLAN and the mesh. `ip` is used for setup and observation only.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KernelTunnelTest {
    static final String NA = "jwtunA" + ProcessHandle.current().pid();
    static final String NB = "jwtunB" + ProcessHandle.current().pid();
    static final String MARKER = "JWEAVE-PLAINTEXT-MARKER-7f3a";

    public interface Sys {
        int open(String path, int flags, int mode);

        int setns(int fd, int nstype);

        int close(int fd);

        int socket(int domain, int type, int protocol);

        int bind(int fd, @In byte[] addr, int len);

        int setsockopt(int fd, int level, int opt, @In byte[] val, int len);

        long recv(int fd, @Out byte[] buf, long len, int flags);
    }

    static final Sys SYS = LibraryLoader.create(Sys.class).load("c");

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    static int status(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
        return p.exitValue();
    }

    static void sh(String ns, String cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd.split(" ")));
        run(c.toArray(new String[0]));
    }

    /** Runs work on a fresh thread that has joined the namespace (setns is per thread). */
    static <T> T inNs(String ns, Callable<T> work) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            int fd = SYS.open("/run/netns/" + ns, 0, 0);
            if (fd < 0 || SYS.setns(fd, 0x40000000) != 0) {
                f.completeExceptionally(new IOException("setns " + ns));
                return;
            }
            SYS.close(fd);
            try {
                f.complete(work.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        t.start();
        return f.get(60, TimeUnit.SECONDS);
    }

    @BeforeAll
    static void namespaces() throws Exception {
        cleanup();
        run("ip", "netns", "add", NA);
        run("ip", "netns", "add", NB);
        run("ip", "link", "add", "jwva", "netns", NA, "type", "veth", "peer", "name", "jwvb", "netns", NB);
        String[][] sides = {{NA, "jwva", "198.51.100.1"}, {NB, "jwvb", "198.51.100.2"}};
        for (String[] s : sides) {
            sh(s[0], "ip link set lo up");
            sh(s[0], "ip addr add " + s[2] + "/24 dev " + s[1]);
            sh(s[0], "ip link set " + s[1] + " up");
            sh(s[0], "sysctl -qw net.ipv4.conf.all.rp_filter=0");
            sh(s[0], "sysctl -qw net.ipv4.conf.default.rp_filter=0");
        }
    }

    @AfterAll
    static void cleanup() throws Exception {
        status("ip", "netns", "del", NA);
        status("ip", "netns", "del", NB);
    }

    static Tunnel tunnelIn(String ns, String self, String tunAddr, int port) throws Exception {
        Tunnel t = inNs(ns, () -> {
            TunDevice dev = TunDevice.open("jwtun0", false);
            Tunnel tun = new Tunnel(new TunnelConfig(new InetSocketAddress(InetAddress.getByName(self), port), port,
                    Pair.PSK, Duration.ofSeconds(120), 1400), dev, null);
            tun.start();
            return tun;
        });
        sh(ns, "ip link set jwtun0 mtu 1400 up");
        sh(ns, "ip addr add " + tunAddr + "/32 dev jwtun0");
        sh(ns, "sysctl -qw net.ipv4.conf.jwtun0.rp_filter=0");
        sh(ns, "ip route add 198.51.100.0/24 dev jwtun0 table 100 src " + self);
        sh(ns, "ip rule add ipproto icmp lookup 100");
        sh(ns, "ip rule add ipproto udp dport 9999 lookup 100");
        return t;
    }

    /** Captures frames on an interface of a namespace (AF_PACKET) for a while. */
    static CompletableFuture<List<byte[]>> capture(String ns, String ifname, long millis) throws Exception {
        String link = run("ip", "-n", ns, "-o", "link", "show", "dev", ifname);
        int ifindex = Integer.parseInt(link.substring(0, link.indexOf(':')).trim());
        CompletableFuture<Integer> ready = new CompletableFuture<>();
        CompletableFuture<List<byte[]>> frames = new CompletableFuture<>();
        new Thread(() -> {
            try {
                frames.complete(inNs(ns, () -> {
                    int fd = SYS.socket(17 /* AF_PACKET */, 3 /* SOCK_RAW */, 0x0300 /* htons(ETH_P_ALL) */);
                    if (fd < 0) {
                        throw new IOException("AF_PACKET socket");
                    }
                    try {
                        ByteBuffer sll = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
                        sll.putShort(0, (short) 17);
                        sll.put(2, (byte) 0).put(3, (byte) 3); // ETH_P_ALL, network order
                        sll.putInt(4, ifindex);
                        if (SYS.bind(fd, sll.array(), 20) != 0) {
                            throw new IOException("bind AF_PACKET");
                        }
                        ByteBuffer tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
                        tv.putLong(0, 0).putLong(8, 100_000); // 100 ms
                        SYS.setsockopt(fd, 1 /* SOL_SOCKET */, 20 /* SO_RCVTIMEO */, tv.array(), 16);
                        ready.complete(fd);
                        List<byte[]> got = new ArrayList<>();
                        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
                        byte[] buf = new byte[65536];
                        while (System.nanoTime() < end) {
                            long n = SYS.recv(fd, buf, buf.length, 0);
                            if (n > 0) {
                                got.add(java.util.Arrays.copyOf(buf, (int) n));
                            }
                        }
                        return got;
                    } finally {
                        SYS.close(fd);
                    }
                }));
            } catch (Throwable e) {
                ready.completeExceptionally(e);
                frames.completeExceptionally(e);
            }
        }).start();
        ready.get(10, TimeUnit.SECONDS);
        return frames;
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void pingAndUdpCrossTheTunnelAndTheVethCarriesNoPlaintext() throws Exception {
        int port = 51820;
        Tunnel ta = tunnelIn(NA, "198.51.100.1", "203.0.113.1", port);
        Tunnel tb = null;
        try {
            tb = tunnelIn(NB, "198.51.100.2", "203.0.113.2", port);
            String ping = run("ip", "netns", "exec", NA, "ping", "-c", "3", "-i", "0.2", "-W", "3", "198.51.100.2");
            assertTrue(ping.contains("3 received"), ping);
            assertTrue(ta.stats().getTxPackets() >= 3 && ta.stats().getRxPackets() >= 3, ta.stats().toString());

            CompletableFuture<List<byte[]>> onVeth = capture(NB, "jwvb", 2500);
            CompletableFuture<List<byte[]>> onTun = capture(NB, "jwtun0", 2500);
            DatagramSocket rx = inNs(NB, () -> {
                DatagramSocket s = new DatagramSocket(new InetSocketAddress("198.51.100.2", 9999));
                s.setSoTimeout(3000);
                return s;
            });
            byte[] marker = MARKER.getBytes(StandardCharsets.US_ASCII);
            try (rx) {
                inNs(NA, () -> {
                    try (DatagramSocket tx = new DatagramSocket(new InetSocketAddress("198.51.100.1", 0))) {
                        for (int i = 0; i < 5; i++) {
                            tx.send(new DatagramPacket(marker, marker.length, new InetSocketAddress("198.51.100.2", 9999)));
                        }
                    }
                    return null;
                });
                DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
                rx.receive(p);
                assertEquals(MARKER, new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
                assertEquals("198.51.100.1", p.getAddress().getHostAddress());
            }
            List<byte[]> veth = onVeth.get(20, TimeUnit.SECONDS);
            List<byte[]> tun = onTun.get(20, TimeUnit.SECONDS);
            long vethMarkers = veth.stream().filter(f -> contains(f, marker)).count();
            long tunMarkers = tun.stream().filter(f -> contains(f, marker)).count();
            byte[] tunnelPort = {(byte) (port >> 8), (byte) port};
            long tunnelFrames = veth.stream().filter(f -> contains(f, tunnelPort)).count();
            long tunnelBytes = veth.stream().filter(f -> contains(f, tunnelPort)).mapToLong(f -> f.length).sum();
            System.out.printf("capture: veth %d frames (%d with the tunnel port, %d bytes), %d with the marker; tun %d frames, %d with the marker%n",
                    veth.size(), tunnelFrames, tunnelBytes, vethMarkers, tun.size(), tunMarkers);
            assertTrue(tunMarkers >= 1, "the capture works: the marker is visible inside the tunnel");
            // With UDP GSO the 5 equal datagrams may cross the veth as one frame: count their bytes.
            int sealed = 20 + marker.length + 8 + Tunnel.TRANSPORT_HEADER + Tunnel.TAG; // inner IPv4 + UDP, sealed
            assertTrue(tunnelFrames >= 1 && tunnelBytes >= 5L * sealed, "the veth carried the tunnel's datagrams");
            assertEquals(0, vethMarkers, "no plaintext on the veth");
        } finally {
            ta.close();
            if (tb != null) {
                tb.close();
            }
        }
    }

    @Test
    void persistentTunSurvivesCloseAndReattaches() throws Exception {
        inNs(NA, () -> {
            TunDevice.open("jwpers0", true).close();
            return null;
        });
        assertEquals(0, status("ip", "-n", NA, "link", "show", "jwpers0"), "survives close");
        String name = inNs(NA, () -> {
            try (TunDevice d = TunDevice.open("jwpers0", true)) {
                return d.name();
            }
        });
        assertEquals("jwpers0", name);
        inNs(NA, () -> {
            TunDevice.delete("jwpers0");
            return null;
        });
        assertNotEquals(0, status("ip", "-n", NA, "link", "show", "jwpers0"), "gone after delete");
    }
}
