package io.jweave.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.capture.Pcap;
import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code jweave capture} against real routers on two simulated hosts: one network (automatic pool
 * in 100.64.0.0/16), a container on each host, the one on host1 pinging the one on host2 all along.
 * The capture runs on host1 (the bridge inside the network's namespace there); what it writes is
 * read back as pcap here and by {@code tcpdump -r}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureTest {
    private static final Duration CMD = Duration.ofSeconds(90);
    private static final String NET = "capnet";
    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private RouterProcess r1;
    private SimHost h1;
    private SimHost h2;
    private String ip1;
    private String ip2;
    private String mac2;

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(2).runId(runId).start();
        try {
            List<RouterProcess> routers = MultiHostSupport.launchAll(tb);
            r1 = routers.get(0);
            h1 = tb.host(1);
            h2 = tb.host(2);
            MultiHostSupport.createNetwork(h1, tb.hosts(), NET);
            h1.run("-d", "--name", "c1", "--network", NET, TestImage.NAME, "sleep", "900");
            h2.run("-d", "--name", "c2", "--network", NET, TestImage.NAME, "sleep", "900");
            ip1 = h1.containerIp("c1", NET);
            ip2 = h2.containerIp("c2", NET);
            mac2 = MultiHostSupport.endpoints(h2, NET).stream().filter(e -> e.container().equals("c2")).findFirst()
                    .orElseThrow().mac();
            MultiHostSupport.await("c1 on host1 pings c2 on host2", Duration.ofSeconds(30),
                    () -> h1.docker(Duration.ofSeconds(10), "exec", "c1", "ping", "-c", "1", "-W", "1", ip2).ok());
            // Host1's router sees host2's endpoint (the --peer filter is made from it).
            MultiHostSupport.await("host1's router knows c2", Duration.ofSeconds(30),
                    () -> MultiHostSupport.status(r1).networks().stream().anyMatch(n -> NET.equals(n.name()) && n.remoteEndpoints() == 1));
            // Traffic for every capture below: one echo request and reply a second, until c1 is removed.
            h1.dockerOk("exec", "-d", "c1", "ping", ip2);
        } catch (RuntimeException | Error e) {
            down();
            throw e;
        }
    }

    @AfterAll
    void down() {
        Testbed bed = tb;
        tb = null;
        MultiHostSupport.closeBed(bed, before);
    }

    // ------------------------------------------------------------------ helpers

    private Path file(String name) throws IOException {
        Path dir = Files.createDirectories(tb.logDir().resolve("captures"));
        Path f = dir.resolve(name);
        Files.deleteIfExists(f);
        return f;
    }

    /** The records of a pcap file; fails if it is not one, or ends inside a record. */
    private static List<Pcap.Record> read(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            Pcap.Reader r = new Pcap.Reader(in);
            assertEquals(Pcap.LINKTYPE_ETHERNET, r.header().linkType(), f.toString());
            List<Pcap.Record> out = new ArrayList<>();
            for (Pcap.Record rec; (rec = r.next()) != null; ) {
                out.add(rec);
            }
            return out;
        }
    }

    /** An ICMP echo (type 8) or echo reply (type 0) in an Ethernet frame: "8 SRC DST" / "0 SRC DST". */
    private static Optional<String> echo(byte[] f) {
        if (f.length < 14 + 20 + 8 || (f[12] & 0xff) != 0x08 || f[13] != 0x00 || (f[14] & 0xf0) != 0x40 || f[23] != 1) {
            return Optional.empty();
        }
        int icmp = 14 + (f[14] & 0x0f) * 4;
        int type = f[icmp] & 0xff;
        if (type != 0 && type != 8) {
            return Optional.empty();
        }
        return Optional.of(type + " " + ip(f, 26) + " " + ip(f, 30));
    }

    private static String ip(byte[] f, int off) {
        return (f[off] & 0xff) + "." + (f[off + 1] & 0xff) + "." + (f[off + 2] & 0xff) + "." + (f[off + 3] & 0xff);
    }

    private static String mac(byte[] f, int off) {
        return HexFormat.ofDelimiter(":").formatHex(Arrays.copyOfRange(f, off, off + 6));
    }

    /** {@code tcpdump -n -r FILE}, run on this machine. */
    private static String tcpdump(Path f) throws Exception {
        Process p = new ProcessBuilder("tcpdump", "-n", "-r", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "tcpdump -r " + f + ":\n" + out);
        return out;
    }

    private static void assertOneLineError(Result r, String expected) {
        assertNotEquals(0, r.exitCode(), r.describe());
        assertEquals(expected, r.err().strip(), r.describe());
    }

    // ------------------------------------------------------------------ tests

    @Test
    void countStopsTheCaptureAndTheFileHoldsTheEchoesBetweenTheContainers() throws Exception {
        Path f = file("count.pcap");
        Result r = r1.cli("capture", NET, "-c", "5", "-w", f.toString());
        assertTrue(r.ok(), r.describe());
        assertTrue(r.err().contains("jweave capture: 5 frames written to " + f), r.describe());
        List<Pcap.Record> recs = read(f);
        assertEquals(5, recs.size(), "-c 5 stopped after 5 frames");
        List<String> echoes = recs.stream().map(x -> echo(x.data())).flatMap(Optional::stream).toList();
        assertTrue(echoes.contains("8 " + ip1 + " " + ip2), "an echo request c1 -> c2 in " + echoes);
        assertTrue(echoes.contains("0 " + ip2 + " " + ip1), "an echo reply c2 -> c1 in " + echoes);
        String text = tcpdump(f);
        assertTrue(text.contains(ip1 + " > " + ip2 + ": ICMP echo request"), text);
        assertTrue(text.contains(ip2 + " > " + ip1 + ": ICMP echo reply"), text);
    }

    @Test
    void peerKeepsTheFramesToAndFromThatPeersEndpoints() throws Exception {
        Path f = file("peer.pcap");
        Result r = r1.cli("capture", NET, "-c", "4", "--peer", h2.name(), "-w", f.toString());
        assertTrue(r.ok(), r.describe());
        assertTrue(r.err().contains("frames to or from peer " + h2.name() + " (1 endpoint)"), r.describe());
        List<Pcap.Record> recs = read(f);
        assertEquals(4, recs.size());
        for (Pcap.Record rec : recs) {
            byte[] d = rec.data();
            assertTrue(mac(d, 0).equals(mac2) || mac(d, 6).equals(mac2),
                    "a frame neither to nor from c2 (" + mac2 + "): " + mac(d, 6) + " > " + mac(d, 0));
        }
        assertTrue(recs.stream().anyMatch(x -> echo(x.data()).isPresent()), "ICMP echoes among the frames");
    }

    @Test
    void anUnknownPeerOrNetworkIsAOneLineErrorNamingIt() throws Exception {
        Path f = file("refused.pcap");
        assertOneLineError(r1.cli("capture", NET, "-c", "1", "--peer", "nosuchhost", "-w", f.toString()),
                "jweave capture: no peer nosuchhost in the mesh (peers: " + h2.name() + ")");
        assertOneLineError(r1.cli("capture", "nosuchnet", "-c", "1", "-w", f.toString()),
                "jweave capture: no network nosuchnet on this host (networks: " + NET + ")");
        assertOneLineError(r1.cli("capture", NET, "--peer", h1.name(), "-w", f.toString()),
                "jweave capture: peer " + h1.name() + " is this router; --peer takes another router's name (jweave peers)");
        assertOneLineError(r1.cli("capture", NET, "-c", "0", "-w", f.toString()),
                "jweave capture: -c COUNT must be at least 1, not 0");
        assertFalse(Files.exists(f), "a refused capture wrote " + f);
    }

    @Test
    void standardOutputPipedIntoTcpdump() {
        String cmd = RouterProcess.REPO.resolve("jweave") + " capture " + NET + " -c 4 --data-dir=" + r1.dataDir()
                + " | tcpdump -n -r -";
        Result r = h1.exec(CMD, "sh", "-c", cmd);
        assertTrue(r.ok(), r.describe());
        List<String> lines = r.out().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(4, lines.size(), r.describe());
        assertTrue(lines.stream().anyMatch(l -> l.contains("ICMP echo")), r.describe());
        // a reader that stops first (tcpdump -c 2): the capture ends quietly, with status 0
        String early = "set -o pipefail; " + RouterProcess.REPO.resolve("jweave") + " capture " + NET + " --data-dir="
                + r1.dataDir() + " | tcpdump -c 2 -n -r -";
        Result e = h1.exec(CMD, "bash", "-c", early);
        assertTrue(e.ok(), e.describe());
        assertEquals(2, e.out().lines().filter(l -> !l.isBlank()).count(), e.describe());
        assertFalse(e.err().contains("ended early"), e.describe());
    }

    @Test
    void ctrlCEndsTheCaptureWithAValidFileAndTheRouterFreesItsHandle() throws Exception {
        Path f = file("sigint.pcap");
        // No count: it runs until SIGINT, as Ctrl-C sends it.
        Result r = h1.exec(CMD, "timeout", "-s", "INT", "5", RouterProcess.REPO.resolve("jweave").toString(), "capture", NET,
                "-w", f.toString(), "--data-dir=" + r1.dataDir());
        assertEquals(124, r.exitCode(), "timeout stopped it: " + r.describe());
        assertTrue(r.err().contains("(stopped)"), r.describe());
        List<Pcap.Record> recs = read(f); // whole records only
        assertTrue(recs.size() >= 2, recs.size() + " frames in about 5 s of pings");
        String text = tcpdump(f);
        assertTrue(text.contains("ICMP echo"), text);
        // The router ended the capture when the client went away: no packet socket is left in the network's namespace.
        int vni = MultiHostSupport.vni(r1, NET);
        String ns = r1.netnsDir().resolve("vni-" + vni).toString();
        MultiHostSupport.await("no packet socket left in " + ns, Duration.ofSeconds(10), () -> {
            Result p = h1.exec(CMD, "nsenter", "--net=" + ns, "cat", "/proc/net/packet");
            return p.ok() && p.out().strip().lines().count() == 1; // the header line only
        });
        MultiHostSupport.await("the router logged the capture's end", Duration.ofSeconds(10),
                () -> {
                    try {
                        return Files.readString(r1.process().log()).contains("capture of network " + NET + " ended after");
                    } catch (IOException e) {
                        return false;
                    }
                });
    }
}
