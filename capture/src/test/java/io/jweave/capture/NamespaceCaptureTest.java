package io.jweave.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.MacAddress;
import io.jweave.netlink.NetNs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Real captures (root, libpcap): three network namespaces made here, as a jweave network's is laid
 * out: BR holds the bridge {@code jwbr}, A and B each hold one end of a veth pair whose other end is
 * a port of that bridge; datagrams go from A to B (100.64.255.0/24, inside these namespaces only).
 * The capture runs on the bridge inside BR, from a JVM whose own threads are all in the host's
 * namespace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NamespaceCaptureTest {
    private static final String A_IP = "100.64.255.1";
    private static final String B_IP = "100.64.255.2";
    private static final String A_MAC = "02:00:64:40:ff:01";
    private static final String B_MAC = "02:00:64:40:ff:02";
    private final String tag = "jwcap" + Long.toHexString(System.nanoTime() & 0xffffff);
    private final String br = tag + "-br";
    private final String a = tag + "-a";
    private final String b = tag + "-b";
    private NetNs brNs;
    private NetNs aNs;

    @BeforeAll
    void up() {
        assertEquals("0", sh("id", "-u").strip(), "these tests need root (network namespaces, packet sockets)");
        try {
            for (String n : List.of(br, a, b)) {
                sh("ip", "netns", "add", n);
            }
            sh("ip", "-n", br, "link", "add", "jwbr", "type", "bridge");
            sh("ip", "-n", br, "link", "set", "jwbr", "up");
            sh("ip", "-n", br, "link", "add", "pa", "type", "veth", "peer", "name", "ea", "netns", a);
            sh("ip", "-n", br, "link", "add", "pb", "type", "veth", "peer", "name", "eb", "netns", b);
            for (String p : List.of("pa", "pb")) {
                sh("ip", "-n", br, "link", "set", p, "master", "jwbr", "up");
            }
            sh("ip", "-n", a, "link", "set", "ea", "address", A_MAC, "up");
            sh("ip", "-n", b, "link", "set", "eb", "address", B_MAC, "up");
            sh("ip", "-n", a, "addr", "add", A_IP + "/24", "dev", "ea");
            sh("ip", "-n", b, "addr", "add", B_IP + "/24", "dev", "eb");
            brNs = NetNs.openNamed(br);
            aNs = NetNs.openNamed(a);
        } catch (RuntimeException | Error e) {
            down();
            throw e;
        }
    }

    @AfterAll
    void down() {
        if (brNs != null) {
            brNs.close();
        }
        if (aNs != null) {
            aNs.close();
        }
        for (String n : List.of(br, a, b)) {
            if (Files.exists(NetNs.NETNS_RUN_DIR.resolve(n))) {
                run(List.of("ip", "netns", "del", n));
            }
        }
    }

    /** {@code count} UDP datagrams from A to B's port {@code port}, payload "jweave-N". */
    private void sendFromA(int port, int count) {
        aNs.run(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                for (int i = 0; i < count; i++) {
                    byte[] p = ("jweave-" + i).getBytes(StandardCharsets.US_ASCII);
                    s.send(new DatagramPacket(p, p.length, new InetSocketAddress(B_IP, port)));
                    Thread.sleep(20);
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Keeps sending datagrams from A until the returned flag is set. */
    private AtomicBoolean sendFromAUntilStopped(int port) {
        AtomicBoolean stop = new AtomicBoolean();
        Thread t = new Thread(() -> {
            for (int i = 0; i < 500 && !stop.get(); i++) {
                sendFromA(port, 1);
            }
        }, "sender");
        t.setDaemon(true);
        t.start();
        return stop;
    }

    private static List<Pcap.Record> records(byte[] pcap) throws IOException {
        Pcap.Reader r = new Pcap.Reader(new ByteArrayInputStream(pcap));
        assertEquals(Pcap.LINKTYPE_ETHERNET, r.header().linkType());
        List<Pcap.Record> out = new ArrayList<>();
        for (Pcap.Record rec; (rec = r.next()) != null; ) {
            out.add(rec);
        }
        return out;
    }

    private static String mac(byte[] frame, int offset) {
        return HexFormat.ofDelimiter(":").formatHex(Arrays.copyOfRange(frame, offset, offset + 6));
    }

    private int packetSocketsInBr() {
        return brNs.call(() -> (int) Files.readAllLines(Path.of("/proc/thread-self/net/packet")).stream().skip(1).count());
    }

    @Test
    void countStopsTheCaptureAndTheStreamIsPcapThatTcpdumpReads() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicBoolean stop = sendFromAUntilStopped(9999);
        try (NamespaceCapture c = NamespaceCapture.open(brNs, "jwbr", CaptureFilter.bpf("udp port 9999"))) {
            assertEquals(1, packetSocketsInBr(), "the capture's packet socket is in the bridge's namespace");
            long n = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.writeTo(out, 3);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).get(20, TimeUnit.SECONDS);
            assertEquals(3, n);
            assertEquals(3, c.frames());
        } finally {
            stop.set(true);
        }
        assertEquals(0, packetSocketsInBr(), "closing the capture freed its socket");
        List<Pcap.Record> recs = records(out.toByteArray());
        assertEquals(3, recs.size());
        for (Pcap.Record r : recs) {
            byte[] f = r.data();
            assertEquals(B_MAC, mac(f, 0), "to B");
            assertEquals(A_MAC, mac(f, 6), "from A");
            assertTrue(new String(f, StandardCharsets.ISO_8859_1).contains("jweave-"), "the datagram's payload");
            assertEquals(f.length, r.wireLength());
            assertTrue(r.seconds() > 1_600_000_000L && r.seconds() < 4_000_000_000L, "a time stamp of today: " + r.seconds());
        }
        if (Files.isExecutable(Path.of("/usr/bin/tcpdump")) || Files.isExecutable(Path.of("/usr/sbin/tcpdump"))) {
            Path f = Files.createTempFile("jweave-capture", ".pcap");
            try {
                Files.write(f, out.toByteArray());
                String text = sh("tcpdump", "-n", "-r", f.toString());
                assertEquals(3, text.lines().filter(l -> l.contains(A_IP) && l.contains(B_IP + ".9999") && l.contains("UDP"))
                        .count(), text);
            } finally {
                Files.deleteIfExists(f);
            }
        }
    }

    @Test
    void macFilterKeepsOnlyFramesOfTheGivenAddresses() throws Exception {
        ByteArrayOutputStream none = new ByteArrayOutputStream();
        try (NamespaceCapture c = NamespaceCapture.open(brNs, "jwbr",
                CaptureFilter.macs(List.of(MacAddress.parse("02:00:64:40:ff:99"))))) {
            CompletableFuture<Long> f = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.writeTo(none, 0);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            sendFromA(9998, 5);
            Thread.sleep(200);
            c.close();
            assertEquals(0L, f.get(10, TimeUnit.SECONDS), "no frame of A and B matches another MAC");
        }
        assertEquals(Pcap.GLOBAL_HEADER_LENGTH, none.size(), "a valid, empty pcap stream");
        assertEquals(List.of(), records(none.toByteArray()));

        ByteArrayOutputStream some = new ByteArrayOutputStream();
        AtomicBoolean stop = sendFromAUntilStopped(9998);
        try (NamespaceCapture c = NamespaceCapture.open(brNs, "jwbr",
                CaptureFilter.macs(List.of(MacAddress.parse(B_MAC))).and(CaptureFilter.bpf("udp")))) {
            assertEquals(2, c.writeTo(some, 2));
        } finally {
            stop.set(true);
        }
        for (Pcap.Record r : records(some.toByteArray())) {
            assertEquals(B_MAC, mac(r.data(), 0));
        }
    }

    @Test
    void closeFromAnotherThreadEndsAWaitingCaptureAndFreesItsSocket() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NamespaceCapture c = NamespaceCapture.open(brNs, "jwbr", CaptureFilter.bpf("udp port 1"));
        CompletableFuture<Long> f = CompletableFuture.supplyAsync(() -> {
            try {
                return c.writeTo(out, 0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300); // the reader now waits in libpcap for a frame that never comes
        assertFalse(f.isDone());
        long t0 = System.nanoTime();
        c.close();
        assertEquals(0L, f.get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "close took too long");
        assertEquals(0, packetSocketsInBr());
        c.close(); // idempotent
        assertThrows(IOException.class, () -> c.writeTo(new ByteArrayOutputStream(), 1));
    }

    @Test
    void aReaderThatGoesAwayEndsTheCapture() throws Exception {
        AtomicBoolean stop = sendFromAUntilStopped(9997);
        OutputStream broken = new OutputStream() {
            private int n;

            @Override
            public void write(int x) throws IOException {
                write(new byte[] {(byte) x}, 0, 1);
            }

            @Override
            public void write(byte[] buf, int off, int len) throws IOException {
                n += len;
                if (n > Pcap.GLOBAL_HEADER_LENGTH) {
                    throw new IOException("the reader went away");
                }
            }
        };
        try (NamespaceCapture c = NamespaceCapture.open(brNs, "jwbr", CaptureFilter.bpf("udp port 9997"))) {
            IOException e = assertThrows(IOException.class, () -> c.writeTo(broken, 0));
            assertEquals("the reader went away", e.getMessage());
        } finally {
            stop.set(true);
        }
        assertEquals(0, packetSocketsInBr());
    }

    @Test
    void refusalsSayWhatWasWrong() {
        CaptureException noIf = assertThrows(CaptureException.class,
                () -> NamespaceCapture.open(brNs, "nope0", CaptureFilter.none()));
        assertTrue(noIf.getMessage().startsWith("no interface nope0 in network namespace /run/netns/" + br + " (it has "),
                noIf.getMessage());
        assertTrue(noIf.getMessage().contains("jwbr"), noIf.getMessage());
        CaptureException badFilter = assertThrows(CaptureException.class,
                () -> NamespaceCapture.open(brNs, "jwbr", CaptureFilter.bpf("ether host not-a-mac and")));
        assertTrue(badFilter.getMessage().startsWith("bad capture filter \"ether host not-a-mac and\""), badFilter.getMessage());
        assertEquals(0, packetSocketsInBr(), "a refused capture leaves no socket");
    }

    // ------------------------------------------------------------------ commands

    private static String sh(String... cmd) {
        Result r = run(List.of(cmd));
        if (r.code != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + r.code + ": " + r.err + r.out);
        }
        return r.out;
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).start();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd + " did not end within 30 s");
            }
            return new Result(p.exitValue(), out, err.join());
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
