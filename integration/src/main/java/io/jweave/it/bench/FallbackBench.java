package io.jweave.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import io.jweave.router.status.StatusClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The kernel-path fallback without a password ({@code ./jweave bench fallback [TRIALS=5] [SECONDS=10]
 * [HEARTBEAT_SECONDS=30]}): each router heartbeats the kernel VXLAN path to every peer and moves a pair
 * whose path fails into its userspace tunnel (UDP 6783, or TCP 6785 when no UDP passes).
 * <ol>
 *   <li><b>Time to recover</b> (3 simulated hosts, no password, containers c1 on host1 and c3 on
 *       host3): per trial UDP 4789 is dropped on host3's underlay input (nft, as a firewall on the wire);
 *       a continuous {@code ping -D -i 0.1} from c1's network namespace to c3 gives block → first reply
 *       (to a request sent after the block); {@code GET /peers} of host1 (polled every 100 ms) gives
 *       block → datapath {@code tunnel}; after the unblock, unblock → {@code vxlan} (host1's view, and
 *       both sides) and the pings lost across the switch back. Each trial starts at least 62 s after
 *       the pair's last change ({@code datapathSince}, both sides), so no break counts as a flap.</li>
 *   <li><b>Throughput</b>, in the same trials: iperf3 TCP, 1 stream, c1 → c3 on two networks (default
 *       MTU 1450: each full-size frame is fragmented in two by the UDP tunnel; MTU 1390: it fits),
 *       on the kernel path (while the pair settles), on the UDP tunnel (4789 blocked) and on the TCP
 *       tunnel (all UDP blocked on host3's underlay input, 1450 network); the order alternates per
 *       trial. CPU of the two tunnel routers (host1, host3: utime + stime) per Gbit/s.</li>
 *   <li><b>Heartbeat cost at idle</b> (6 simulated hosts, no containers, no traffic): 2 routers, then
 *       6; after a warm-up, {@code jweave_heartbeat_bytes_total} (tx, rx) per second per peer, and the
 *       routers' CPU; the per-peer increment from 2 to 6 routers.</li>
 *   <li><b>Crypto share</b>: AES-256-GCM seal + open of 1400-byte (and 750-byte: a fragment) packets
 *       with the JDK as the tunnel does it (direct buffers, {@code init} per packet), one thread, in a
 *       child JVM with C2 (as {@code ./jweave launch} runs routers) and one with C1 (the bench's own
 *       flags), against the tunnel routers' CPU per Gbit/s from (2).</li>
 * </ol>
 */
public final class FallbackBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RECEIVED = Pattern.compile(
            "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");
    private static final Pattern RETRANSMITS = Pattern.compile(
            "\"sum_sent\"\\s*:\\s*\\{[^}]*?\"retransmits\"\\s*:\\s*([0-9]+)");
    /** {@code ping -D}: "[1733150000.123456] 64 bytes from X: icmp_seq=12 ttl=64 time=0.412 ms". */
    private static final Pattern PING_REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)\\].*icmp_seq=(\\d+) .*time=([0-9.]+) ms");
    private static final long CLK_TCK = 100;
    private static final String TABLE = "jwbench";
    /** Seconds a pair must have been on vxlan before the next break (the product's flap window is 60). */
    private static final int SETTLE_SECONDS = 62;
    private static final double SLEEVE_LOW = 0.29;
    private static final double SLEEVE_HIGH = 0.35;

    private FallbackBench() {
    }

    /** Child-JVM entry point: {@code FallbackBench crypto SECONDS} prints CRYPTO lines. */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("crypto")) {
            cryptoChild(args.length > 1 ? Integer.parseInt(args[1]) : 5);
            return;
        }
        run(args);
    }

    public static void run(String[] args) throws Exception {
        int trials = MeshBench.intArg(args, 0, 5);
        int seconds = MeshBench.intArg(args, 1, 10);
        int hbSeconds = MeshBench.intArg(args, 2, 30);
        if (trials < 1 || seconds < 1 || hbSeconds < 1) {
            throw new IllegalArgumentException("TRIALS, SECONDS and HEARTBEAT_SECONDS must be positive");
        }
        MeshBench.header("Fallback: kernel VXLAN path vs the userspace tunnel without a password (" + trials
                + " trials, iperf3 " + seconds + " s, heartbeats " + hbSeconds + " s warm-up + " + hbSeconds + " s)");
        double perTrial = 100 + 3.0 * (seconds + 2);
        System.out.printf("a run takes about %.0f min (~%.0f s per trial: >= %d s on vxlan before each break, kernel"
                + " iperf3 runs inside it, ~5 s to fall, 3 tunnel iperf3 runs, ~20-25 s back; + %d s of heartbeats,"
                + " test beds, crypto)%n", (trials * perTrial + 4 * hbSeconds + 180) / 60, perTrial, SETTLE_SECONDS,
                4 * hbSeconds);
        long started = System.nanoTime();

        Crypto c2 = crypto(true, 5);
        Crypto c1 = crypto(false, 3);
        System.out.printf("crypto microbenchmark: C2 %.2f Gbit/s per core seal+open of 1400 B (%.0f ns/packet), %.2f"
                + " at 750 B; C1 %.2f at 1400 B%n", c2.gbit1400, c2.ns1400, c2.gbit750, c1.gbit1400);

        Recovery rec = new Recovery();
        Map<String, List<Sample>> tput = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        try (Testbed tb = Testbed.builder().hosts(3).start()) {
            Bed bed = new Bed(tb);
            try {
                bed.setUp();
                notes.add("router JVM compiler (from its command line): " + bed.routerCompiler());
                for (int trial = 1; trial <= trials; trial++) {
                    trial(bed, trial, seconds, rec, tput);
                }
                notes.addAll(bed.logProblems());
            } finally {
                bed.unblock();
            }
        }
        Heartbeat hb2;
        Heartbeat hb6;
        try (Testbed tb = Testbed.builder().hosts(6).start()) {
            List<MeshRouter> routers = new ArrayList<>();
            routers.add(MeshRouter.launch(tb.host(1), "jweave", tb.host(1).runDir().resolve("jweave"), List.of()));
            routers.add(MeshRouter.launch(tb.host(2), "jweave", tb.host(2).runDir().resolve("jweave"), List.of(),
                    tb.host(1).underlayIp()));
            awaitMesh(routers, Duration.ofSeconds(60));
            hb2 = heartbeat(routers, hbSeconds);
            for (int i = 3; i <= 6; i++) {
                routers.add(MeshRouter.launch(tb.host(i), "jweave", tb.host(i).runDir().resolve("jweave"), List.of(),
                        tb.host(1).underlayIp()));
            }
            awaitMesh(routers, Duration.ofSeconds(90));
            hb6 = heartbeat(routers, hbSeconds);
        }
        System.out.printf("%nwhole run: %.1f min%n", (System.nanoTime() - started) / 60e9);

        printRecovery(rec, trials);
        printThroughput(tput);
        printHeartbeat(hb2, hb6);
        printCrypto(c2, c1, tput);
        if (!notes.isEmpty()) {
            System.out.println();
            notes.forEach(System.out::println);
        }
    }

    // ------------------------------------------------------------------ the 3-host bed

    /** A throughput path: a client container's namespace and the server's overlay address. */
    private record Route(String net, List<String> enter, String target) {
    }

    /** One iperf3 run: Gbit/s received, the two tunnel routers' CPU cores per Gbit/s and their kernel share. */
    private record Sample(double gbit, double routerCoresPerGbit, double routerSystemShare, double userCoresPerGbit,
                          long retransmits) {
    }

    private static final class Recovery {
        final List<Double> firstReply = new ArrayList<>();
        final List<Double> toTunnel = new ArrayList<>();
        final List<Double> backHost1 = new ArrayList<>();
        final List<Double> backBoth = new ArrayList<>();
        final List<Double> lostBack = new ArrayList<>();
        final List<Double> lostFall = new ArrayList<>();
        final List<Double> toTcp = new ArrayList<>();
        final List<Double> tcpToUdp = new ArrayList<>();
        final List<Double> switchesPerTrial = new ArrayList<>();
        /** host1's heartbeat tx rate from the unblock to vxlan / while settled (1.0: one round a second throughout). */
        final List<Double> hbRateRatio = new ArrayList<>();
        /** Returns to vxlan while the block was still in place (each followed by a fall back to the tunnel). */
        final List<Double> spuriousReturns = new ArrayList<>();
    }

    private static final class Bed {
        final Testbed tb;
        final SimHost h1;
        final SimHost h3;
        MeshRouter r1;
        MeshRouter r2;
        MeshRouter r3;
        final Map<String, Route> routes = new LinkedHashMap<>();

        Bed(Testbed tb) {
            this.tb = tb;
            this.h1 = tb.host(1);
            this.h3 = tb.host(3);
        }

        void setUp() {
            r1 = MeshRouter.launch(h1, "jweave", h1.runDir().resolve("jweave"), List.of());
            r2 = MeshRouter.launch(tb.host(2), "jweave", tb.host(2).runDir().resolve("jweave"), List.of(), h1.underlayIp());
            r3 = MeshRouter.launch(h3, "jweave", h3.runDir().resolve("jweave"), List.of(), h1.underlayIp());
            awaitMesh(List.of(r1, r2, r3), Duration.ofSeconds(60));
            for (int mtu : new int[] {1450, 1390}) {
                String net = "fb" + mtu;
                List<String> create = new ArrayList<>(List.of("network", "create", "-d", "jweave", "--ipam-driver", "jweave"));
                if (mtu != 1450) {
                    create.addAll(List.of("-o", "com.docker.network.driver.mtu=" + mtu));
                }
                create.add(net);
                h1.dockerOk(create.toArray(String[]::new));
                MeshBench.awaitNetwork(h3, net, Duration.ofSeconds(30));
                h3.run("-d", "--name", "c3-" + mtu, "--network", net, TestImage.NAME, "iperf3", "-s");
                h1.run("-d", "--name", "c1-" + mtu, "--network", net, TestImage.NAME, "sleep", "1000000");
                long pid = MeshBench.containerPid(h1, "c1-" + mtu);
                Route r = new Route(net, List.of("nsenter", "-t", Long.toString(pid), "-n"), h3.containerIp("c3-" + mtu, net));
                routes.put(net, r);
                awaitPing(r);
                String dev = MeshBench.run(Duration.ofSeconds(10), concat(r.enter(), "ip", "-o", "link", "show", "eth0")
                        .toArray(String[]::new)).out().replaceAll("(?s)^.* mtu (\\d+) .*$", "$1");
                System.out.printf("network %s: c1 → %s, c1's eth0 mtu %s%n", net, r.target(), dev);
            }
        }

        String routerCompiler() {
            List<String> out = new ArrayList<>();
            for (MeshRouter r : List.of(r1, r3)) {
                try {
                    String cmd = Files.readString(Path.of("/proc/" + r.javaPid() + "/cmdline")).replace('\0', ' ');
                    Matcher m = Pattern.compile("-XX:TieredStopAtLevel=(\\d)").matcher(cmd);
                    String last = "default (C2)";
                    while (m.find()) {
                        last = m.group(1).equals("4") ? "C2 (TieredStopAtLevel=4)" : "C1 (TieredStopAtLevel=" + m.group(1) + ")";
                    }
                    out.add(r.host().name() + " " + last);
                } catch (IOException e) {
                    out.add(r.host().name() + " ?");
                }
            }
            return String.join(", ", out);
        }

        /** Drops what {@code match} selects arriving on host3's underlay interface (replacing any earlier rule, atomically). */
        void block(String match) {
            String dev = h3.underlayDevice();
            MeshBench.sh("ip", "netns", "exec", h3.netns(), "nft", "add table inet " + TABLE + " ; add chain inet " + TABLE
                    + " in { type filter hook input priority -50 ; } ; flush chain inet " + TABLE + " in ; add rule inet "
                    + TABLE + " in iifname \"" + dev + "\" " + match + " drop");
        }

        void unblock() {
            MeshBench.run(Duration.ofSeconds(10), "ip", "netns", "exec", h3.netns(), "nft", "delete", "table", "inet", TABLE);
        }

        List<String> logProblems() {
            List<String> out = new ArrayList<>();
            for (MeshRouter r : List.of(r1, r2, r3)) {
                try {
                    List<String> bad = Files.readAllLines(r.process().log()).stream()
                            .filter(l -> l.contains(" ERROR ") || l.contains(" WARN ") || l.contains("Exception")).toList();
                    if (!bad.isEmpty()) {
                        out.add(r.host().name() + ": " + bad.size() + " ERROR/WARN/exception lines in the router log, e.g.:");
                        bad.stream().limit(4).forEach(l -> out.add("    " + l));
                    }
                    long switches = Files.readAllLines(r.process().log()).stream().filter(l -> l.contains("datapath ")
                            && l.contains(" -> ")).count();
                    out.add(r.host().name() + ": " + switches + " datapath change lines logged");
                } catch (IOException e) {
                    out.add(r.host().name() + ": cannot read the log: " + e.getMessage());
                }
            }
            return out;
        }
    }

    private static void trial(Bed bed, int trial, int seconds, Recovery rec, Map<String, List<Sample>> tput) {
        Route n1450 = bed.routes.get("fb1450");
        Route n1390 = bed.routes.get("fb1390");
        List<Route> nets = trial % 2 == 1 ? List.of(n1450, n1390) : List.of(n1390, n1450);
        System.out.printf("%ntrial %d%n", trial);

        // kernel path, while the pair settles
        awaitDatapath(bed.r1, "host3", "vxlan"::equals, Duration.ofSeconds(120));
        if (trial == 1) {
            for (Route r : nets) {
                iperf(bed, r, 2);
            }
        }
        for (Route r : nets) {
            record(tput, "kernel " + mtu(r), iperf(bed, r, seconds), trial);
        }
        double hbTx0 = heartbeatBytes(bed.r1)[0];
        long hbAt0 = System.nanoTime();
        long waited = awaitSettled(bed);
        // heartbeat rounds per second of host1 (2 peers) before the break, for comparing with the way back
        double hbRateSettled = (heartbeatBytes(bed.r1)[0] - hbTx0) / ((System.nanoTime() - hbAt0) / 1e9);
        System.out.printf("  settled: host1 <-> host3 on vxlan for >= %d s (waited %.1f s more)%n", SETTLE_SECONDS, waited / 1e3);
        long switches0 = switches(bed.r1, "host3");

        // break: UDP 4789 dropped on host3's underlay input
        try (Pinger ping = new Pinger(n1450)) {
            MeshBench.sleep(1000);
            long t0 = System.currentTimeMillis();
            long n0 = System.nanoTime();
            bed.block("udp dport 4789");
            double toTunnel = awaitDatapath(bed.r1, "host3", "tunnel"::equals, Duration.ofSeconds(60)) - (n0 / 1e6);
            double first = ping.firstReplySentAfter(t0, Duration.ofSeconds(60)) - t0;
            rec.toTunnel.add(toTunnel / 1e3);
            rec.firstReply.add(first / 1e3);
            int lostFall = ping.lostBetween(t0, t0 + (long) first);
            rec.lostFall.add((double) lostFall);
            System.out.printf("  4789 blocked: first ping reply after %.2f s (%d pings lost), host1's datapath tunnel"
                    + " after %.2f s%n", first / 1e3, lostFall, toTunnel / 1e3);
            awaitDatapath(bed.r3, "host1", "tunnel"::equals, Duration.ofSeconds(30));

            // the UDP tunnel
            if (trial == 1) {
                for (Route r : nets) {
                    iperf(bed, r, 3);
                }
            }
            for (Route r : nets) {
                record(tput, "tunnel/udp " + mtu(r), iperf(bed, r, seconds), trial);
            }
            // the TCP tunnel: all UDP dropped
            long n1 = System.nanoTime();
            bed.block("meta l4proto udp");
            double toTcp = awaitDatapath(bed.r1, "host3", "tcp"::equals, Duration.ofSeconds(60)) - n1 / 1e6;
            awaitDatapath(bed.r3, "host1", "tcp"::equals, Duration.ofSeconds(30));
            rec.toTcp.add(toTcp / 1e3);
            if (trial == 1) {
                iperf(bed, n1450, 3);
            }
            record(tput, "tunnel/tcp " + mtu(n1450), iperf(bed, n1450, seconds), trial);
            long n2 = System.nanoTime();
            bed.block("udp dport 4789");
            double toUdp = awaitDatapath(bed.r1, "host3", "tunnel"::equals, Duration.ofSeconds(60)) - n2 / 1e6;
            awaitDatapath(bed.r3, "host1", "tunnel"::equals, Duration.ofSeconds(30));
            rec.tcpToUdp.add(toUdp / 1e3);
            System.out.printf("  all UDP blocked: host1's datapath tcp after %.2f s; 4789 only again: tunnel (udp) after"
                    + " %.2f s%n", toTcp / 1e3, toUdp / 1e3);
        }

        // heal: a fresh pinger so that the iperf3 runs' queues do not count
        try (Pinger ping = new Pinger(n1450)) {
            MeshBench.sleep(1000);
            long t1 = System.currentTimeMillis();
            long n1 = System.nanoTime();
            double hbTx1 = heartbeatBytes(bed.r1)[0];
            // expected while blocked: vxlan -> tunnel -> tcp -> tunnel; more = returns to vxlan while still blocked
            long spurious = Math.max(0, switches(bed.r1, "host3") - switches0 - 3) / 2;
            rec.spuriousReturns.add((double) spurious);
            if (spurious > 0) {
                System.out.printf("  host1 -> host3 went back to vxlan %d time(s) while 4789 was still blocked%n", spurious);
            }
            bed.unblock();
            double back1 = awaitDatapath(bed.r1, "host3", "vxlan"::equals, Duration.ofSeconds(300)) - n1 / 1e6;
            double hbRateBack = (heartbeatBytes(bed.r1)[0] - hbTx1) / (System.nanoTime() / 1e6 - n1 / 1e6) * 1e3;
            double back3 = awaitDatapath(bed.r3, "host1", "vxlan"::equals, Duration.ofSeconds(300)) - n1 / 1e6;
            MeshBench.sleep(3000);
            long tEnd = System.currentTimeMillis();
            int lost = ping.lostBetween(t1, tEnd);
            rec.backHost1.add(back1 / 1e3);
            rec.backBoth.add(Math.max(back1, back3) / 1e3);
            rec.lostBack.add((double) lost);
            long sw = switches(bed.r1, "host3") - switches0;
            rec.switchesPerTrial.add((double) sw);
            System.out.printf("  unblocked: host1's datapath vxlan after %.2f s, host3's after %.2f s; %d of %d pings"
                    + " lost from the unblock to 3 s after; %d datapath switches host1 -> host3 this trial; host1's"
                    + " heartbeat tx %.0f B/s from the unblock to vxlan vs %.0f B/s while settling%n",
                    back1 / 1e3, back3 / 1e3, lost, ping.sentBetween(t1, tEnd), sw, hbRateBack, hbRateSettled);
            rec.hbRateRatio.add(hbRateBack / hbRateSettled);
        }
    }

    private static String mtu(Route r) {
        return r.net().substring(2);
    }

    private static void record(Map<String, List<Sample>> tput, String path, Sample s, int trial) {
        tput.computeIfAbsent(path, k -> new ArrayList<>()).add(s);
        System.out.printf("  %-16s %.2f Gbit/s, tunnel routers %.3f CPU cores per Gbit/s (%.0f %% in the kernel), %d"
                + " retransmits%n", path, s.gbit(), s.routerCoresPerGbit(), 100 * s.routerSystemShare(), s.retransmits());
    }

    /** Waits until both sides have had the pair on vxlan for SETTLE_SECONDS; returns the ms waited. */
    private static long awaitSettled(Bed bed) {
        long t = System.currentTimeMillis();
        long deadline = System.nanoTime() + Duration.ofSeconds(600).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode a = peer(bed.r1, "host3");
            JsonNode b = peer(bed.r3, "host1");
            if (settled(a) && settled(b)) {
                return System.currentTimeMillis() - t;
            }
            MeshBench.sleep(250);
        }
        throw new IllegalStateException("host1 <-> host3 did not settle on vxlan within 600 s: "
                + StatusClient.get(bed.r1.dataDir(), "/peers"));
    }

    private static boolean settled(JsonNode p) {
        if (p == null || !"vxlan".equals(p.path("datapath").asText())) {
            return false;
        }
        String since = p.path("datapathSince").asText("");
        return !since.isEmpty() && Instant.parse(since).isBefore(Instant.now().minusSeconds(SETTLE_SECONDS));
    }

    private static long switches(MeshRouter r, String peer) {
        JsonNode p = peer(r, peer);
        return p == null ? -1 : p.path("datapathSwitches").asLong(-1);
    }

    /** The peer entry of {@code name} in {@code r}'s GET /peers, or null. */
    private static JsonNode peer(MeshRouter r, String name) {
        try {
            for (JsonNode p : JSON.readTree(StatusClient.get(r.dataDir(), "/peers")).path("peers")) {
                if (name.equals(p.path("name").asText())) {
                    return p;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** Polls r's GET /peers every 100 ms until the peer's datapath matches; returns System.nanoTime()/1e6 then. */
    private static double awaitDatapath(MeshRouter r, String name, Predicate<String> want, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            JsonNode p = peer(r, name);
            last = p == null ? "?" : p.path("datapath").asText();
            if (want.test(last)) {
                return System.nanoTime() / 1e6;
            }
            MeshBench.sleep(100);
        }
        throw new IllegalStateException(r.host().name() + " -> " + name + ": datapath still " + last + " after "
                + timeout.toSeconds() + " s; /peers: " + StatusClient.get(r.dataDir(), "/peers"));
    }

    private static void awaitMesh(List<MeshRouter> routers, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (MeshRouter r : routers) {
                int connected = 0;
                try {
                    for (JsonNode p : JSON.readTree(StatusClient.get(r.dataDir(), "/peers")).path("peers")) {
                        if ("connected".equals(p.path("state").asText())
                                && (p.path("self").asBoolean() || "vxlan".equals(p.path("datapath").asText()))) {
                            connected++;
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    connected = -1;
                }
                all &= connected == routers.size();
            }
            if (all) {
                return;
            }
            MeshBench.sleep(200);
        }
        throw new IllegalStateException("the " + routers.size() + " routers are not all connected on vxlan within "
                + timeout.toSeconds() + " s: " + StatusClient.get(routers.get(0).dataDir(), "/peers"));
    }

    private static void awaitPing(Route r) {
        MeshBench.awaitPing(r.enter(), r.target(), r.net());
    }

    /** One iperf3 run (TCP, 1 stream) with the tunnel routers' CPU; retried if the server was busy. */
    private static Sample iperf(Bed bed, Route r, int seconds) {
        String[] cmd = concat(r.enter(), "iperf3", "-c", r.target(), "-t", Integer.toString(seconds), "-J",
                "--connect-timeout", "5000").toArray(String[]::new);
        Result last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            long[] t0 = ticks(bed);
            long w0 = System.nanoTime();
            last = MeshBench.run(Duration.ofSeconds(seconds + 40), cmd);
            double wall = (System.nanoTime() - w0) / 1e9;
            long[] t1 = ticks(bed);
            Matcher m = RECEIVED.matcher(last.stdout());
            if (last.ok() && m.find()) {
                double gbit = Double.parseDouble(m.group(1)) / 1e9;
                Matcher rt = RETRANSMITS.matcher(last.stdout());
                long user = t1[0] - t0[0];
                long sys = t1[1] - t0[1];
                double cores = (user + sys) / (double) CLK_TCK / wall;
                return new Sample(gbit, cores / gbit, user + sys == 0 ? Double.NaN : sys / (double) (user + sys),
                        user / (double) CLK_TCK / wall / gbit, rt.find() ? Long.parseLong(rt.group(1)) : -1);
            }
            MeshBench.sleep(1000);
        }
        throw new IllegalStateException(r.net() + ": iperf3 failed: " + last.describe());
    }

    /** utime, stime of host1's and host3's router JVMs. */
    private static long[] ticks(Bed bed) {
        long[] a = EncryptionBench.processTicks(bed.r1.javaPid());
        long[] b = EncryptionBench.processTicks(bed.r3.javaPid());
        return new long[] {a[0] + b[0], a[1] + b[1]};
    }

    /**
     * A continuous {@code ping -D -i 0.1} from a client container's namespace, replies recorded with
     * their receive time (epoch, from ping) and RTT, so a reply's send time is known.
     */
    private static final class Pinger implements AutoCloseable {
        private record Reply(long seq, double sentMs) {
        }

        private final Process p;
        private final List<Reply> replies = new ArrayList<>();
        private final Thread reader;

        Pinger(Route r) {
            try {
                p = new ProcessBuilder(concat(r.enter(), "ping", "-D", "-n", "-i", "0.1", r.target()))
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start ping", e);
            }
            reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = in.readLine()) != null) {
                        Matcher m = PING_REPLY.matcher(l);
                        if (m.find()) {
                            double recv = Double.parseDouble(m.group(1)) * 1e3;
                            Reply rep = new Reply(Long.parseLong(m.group(2)), recv - Double.parseDouble(m.group(3)));
                            synchronized (replies) {
                                replies.add(rep);
                            }
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "pinger");
            reader.setDaemon(true);
            reader.start();
        }

        private List<Reply> snapshot() {
            synchronized (replies) {
                return new ArrayList<>(replies);
            }
        }

        /** Send time (epoch ms: receive time − RTT) of the first answered request sent at or after {@code t0} (epoch ms). */
        double firstReplySentAfter(long t0, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (Reply r : snapshot()) {
                    if (r.sentMs() >= t0) {
                        return r.sentMs();
                    }
                }
                MeshBench.sleep(20);
            }
            throw new IllegalStateException("no ping reply within " + timeout.toSeconds() + " s after the block");
        }

        /**
         * Requests sent in [a, b] (epoch ms) without a reply: the sequence numbers between the first and the
         * last answered request sent in that window, minus the answered ones; requests before the first
         * answer in the window count as lost too, estimated from the interval (0.1 s).
         */
        int lostBetween(long a, long b) {
            List<Reply> all = snapshot();
            Reply before = null;
            Reply first = null;
            Reply last = null;
            int answered = 0;
            for (Reply r : all) {
                if (r.sentMs() < a) {
                    before = r;
                } else if (r.sentMs() <= b) {
                    if (first == null) {
                        first = r;
                    }
                    last = r;
                    answered++;
                }
            }
            if (first == null) {
                return (int) Math.round((b - a) / 100.0);
            }
            long from = before != null ? before.seq() + 1 : first.seq();
            return (int) (last.seq() - from + 1 - answered);
        }

        /** Requests sent in [a, b] (epoch ms), from the interval (0.1 s). */
        int sentBetween(long a, long b) {
            return (int) Math.round((b - a) / 100.0);
        }

        @Override
        public void close() {
            p.destroy();
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.destroyForcibly();
        }
    }

    // ------------------------------------------------------------------ heartbeats at idle

    private record Heartbeat(int routers, double txPerPeer, double rxPerPeer, double cpuPercent, double cpuMin,
                             double cpuMax, int seconds) {
    }

    private static Heartbeat heartbeat(List<MeshRouter> routers, int seconds) {
        System.out.printf("%n%d routers: %d s warm-up, then %d s at idle%n", routers.size(), seconds, seconds);
        MeshBench.sleep(seconds * 1000L);
        double[][] b0 = new double[routers.size()][];
        long[][] c0 = new long[routers.size()][];
        for (int i = 0; i < routers.size(); i++) {
            b0[i] = heartbeatBytes(routers.get(i));
            c0[i] = EncryptionBench.processTicks(routers.get(i).javaPid());
        }
        long w0 = System.nanoTime();
        MeshBench.sleep(seconds * 1000L);
        double wall = (System.nanoTime() - w0) / 1e9;
        int peers = routers.size() - 1;
        double tx = 0;
        double rx = 0;
        double[] cpu = new double[routers.size()];
        for (int i = 0; i < routers.size(); i++) {
            double[] b1 = heartbeatBytes(routers.get(i));
            long[] c1 = EncryptionBench.processTicks(routers.get(i).javaPid());
            tx += (b1[0] - b0[i][0]) / wall / peers;
            rx += (b1[1] - b0[i][1]) / wall / peers;
            cpu[i] = 100.0 * ((c1[0] - c0[i][0]) + (c1[1] - c0[i][1])) / CLK_TCK / wall;
            System.out.printf("  %s: heartbeat tx %.0f B/s, rx %.0f B/s (%d peers), router CPU %.2f %%%n",
                    routers.get(i).host().name(), (b1[0] - b0[i][0]) / wall, (b1[1] - b0[i][1]) / wall, peers, cpu[i]);
        }
        int n = routers.size();
        return new Heartbeat(n, tx / n, rx / n, java.util.Arrays.stream(cpu).average().orElse(Double.NaN),
                MeshStats.min(cpu), MeshStats.max(cpu), seconds);
    }

    /** {tx, rx} of jweave_heartbeat_bytes_total. */
    private static double[] heartbeatBytes(MeshRouter r) {
        String m = StatusClient.get(r.dataDir(), "/metrics");
        return new double[] {metric(m, "tx"), metric(m, "rx")};
    }

    private static double metric(String scrape, String direction) {
        Matcher m = Pattern.compile("(?m)^jweave_heartbeat_bytes_total\\{[^}]*direction=\"" + direction + "\"[^}]*\\} (\\S+)$")
                .matcher(scrape);
        if (!m.find()) {
            throw new IllegalStateException("no jweave_heartbeat_bytes_total{direction=\"" + direction + "\"} in /metrics");
        }
        return Double.parseDouble(m.group(1));
    }

    // ------------------------------------------------------------------ crypto microbenchmark

    private record Crypto(String compiler, double gbit1400, double ns1400, double gbit750, double ns750) {
    }

    /** Runs {@link #cryptoChild} in a JVM with this one's flags and the compiler chosen (C2: TieredStopAtLevel=4). */
    private static Crypto crypto(boolean c2, int seconds) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-XX:TieredStopAtLevel") && !a.startsWith("-XX:SharedArchiveFile")) {
                cmd.add(a);
            }
        }
        cmd.add("-XX:TieredStopAtLevel=" + (c2 ? 4 : 1));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FallbackBench.class.getName(), "crypto",
                Integer.toString(seconds)));
        Result r = MeshBench.run(Duration.ofSeconds(4L * seconds + 60), cmd.toArray(String[]::new));
        if (!r.ok()) {
            throw new IllegalStateException("crypto microbenchmark failed: " + r.describe());
        }
        Map<Integer, double[]> by = new LinkedHashMap<>();
        String compiler = "?";
        for (String l : r.out().lines().toList()) {
            String[] f = l.split(" ");
            if (f[0].equals("CRYPTO")) {
                by.put(Integer.parseInt(f[1]), new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])});
                compiler = f[4];
            }
        }
        if (!by.containsKey(1400) || !by.containsKey(750)) {
            throw new IllegalStateException("crypto microbenchmark printed no figures: " + r.out());
        }
        return new Crypto(compiler, by.get(1400)[0], by.get(1400)[1], by.get(750)[0], by.get(750)[1]);
    }

    /**
     * AES-256-GCM seal + open on one thread, as the tunnel does it (Tunnel.seal / open: direct buffers,
     * {@code init} with a counter nonce per packet, 16-byte tag, no AAD). Per packet size: 2 s warm-up,
     * then {@code seconds}; Gbit/s of plaintext per CPU second of this thread.
     */
    private static void cryptoChild(int seconds) throws GeneralSecurityException {
        HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String level = hs.getVMOption("TieredStopAtLevel").getValue();
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        SecretKeySpec key = new SecretKeySpec(k, "AES");
        Cipher enc = Cipher.getInstance("AES/GCM/NoPadding");
        Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        byte[] nonce = new byte[12];
        long counter = 0;
        for (int size : new int[] {1400, 750}) {
            ByteBuffer in = ByteBuffer.allocateDirect(size);
            ByteBuffer sealed = ByteBuffer.allocateDirect(size + 16);
            ByteBuffer plain = ByteBuffer.allocateDirect(size);
            byte[] fill = new byte[size];
            new SecureRandom().nextBytes(fill);
            in.put(fill);
            for (int phase = 0; phase < 2; phase++) {
                long end = System.nanoTime() + (phase == 0 ? 2_000_000_000L : seconds * 1_000_000_000L);
                long cpu0 = tm.getCurrentThreadCpuTime();
                long packets = 0;
                while (System.nanoTime() < end) {
                    for (int i = 0; i < 64; i++) {
                        for (int b = 0; b < 8; b++) {
                            nonce[4 + b] = (byte) (counter >>> (56 - 8 * b));
                        }
                        counter++;
                        GCMParameterSpec spec = new GCMParameterSpec(128, nonce);
                        in.flip();
                        sealed.clear();
                        enc.init(Cipher.ENCRYPT_MODE, key, spec);
                        enc.doFinal(in, sealed);
                        sealed.flip();
                        plain.clear();
                        dec.init(Cipher.DECRYPT_MODE, key, spec);
                        dec.doFinal(sealed, plain);
                        in.limit(in.capacity()).position(in.capacity());
                    }
                    packets += 64;
                }
                double cpuS = (tm.getCurrentThreadCpuTime() - cpu0) / 1e9;
                if (phase == 1) {
                    System.out.printf(Locale.ROOT, "CRYPTO %d %.4f %.1f TieredStopAtLevel=%s%n", size,
                            packets * size * 8.0 / cpuS / 1e9, cpuS * 1e9 / packets, level);
                }
            }
        }
    }

    // ------------------------------------------------------------------ tables

    private static String pct(List<Double> l, String fmt) {
        double[] v = MeshStats.of(l);
        return String.format(fmt + " | " + fmt + " | " + fmt, MeshStats.median(v), MeshStats.percentile(v, 99), MeshStats.max(v));
    }

    private static void printRecovery(Recovery r, int trials) {
        System.out.println();
        System.out.println("Time to recover (c1 on host1 → c3 on host3; UDP 4789 dropped on host3's underlay input; each"
                + " trial starts >= " + SETTLE_SECONDS + " s after the pair's last change, so the bench's own breaks are no"
                + " flaps; a return to vxlan while still blocked is the product's, and counted):");
        System.out.println();
        System.out.println("| measure | trials | p50 | p99 | max | goal |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.printf("| block → first ping reply (s) | %d | %s | ≤ 10 s |%n", r.firstReply.size(), pct(r.firstReply, "%.2f"));
        System.out.printf("| pings lost (0.1 s apart) until then | %d | %s | |%n", r.lostFall.size(), pct(r.lostFall, "%.0f"));
        System.out.printf("| block → host1's datapath `tunnel` (s) | %d | %s | |%n", r.toTunnel.size(), pct(r.toTunnel, "%.2f"));
        System.out.printf("| all UDP dropped → datapath `tcp` (s) | %d | %s | |%n", r.toTcp.size(), pct(r.toTcp, "%.2f"));
        System.out.printf("| UDP 6783 passes again → `tunnel` (s) | %d | %s | |%n", r.tcpToUdp.size(), pct(r.tcpToUdp, "%.2f"));
        System.out.printf("| unblock → host1's datapath `vxlan` (s) | %d | %s | ≤ 30 s |%n", r.backHost1.size(), pct(r.backHost1, "%.2f"));
        System.out.printf("| unblock → `vxlan` on both sides (s) | %d | %s | ≤ 30 s |%n", r.backBoth.size(), pct(r.backBoth, "%.2f"));
        System.out.printf("| pings lost from the unblock to 3 s after `vxlan` | %d | %s | 0 |%n", r.lostBack.size(), pct(r.lostBack, "%.0f"));
        System.out.printf("| datapath switches host1 → host3 per trial | %d | %s | 4 |%n", r.switchesPerTrial.size(),
                pct(r.switchesPerTrial, "%.0f"));
        System.out.printf("| returns to `vxlan` while 4789 was still blocked, per trial | %d | %s | 0 |%n",
                r.spuriousReturns.size(), pct(r.spuriousReturns, "%.0f"));
        System.out.printf("| host1's heartbeat tx rate unblock → vxlan / while settled | %d | %s | 1.00 |%n",
                r.hbRateRatio.size(), pct(r.hbRateRatio, "%.2f"));
        if (trials < 100) {
            System.out.println("(p99 is the nearest rank: with fewer than 100 trials it is the maximum)");
        }
    }

    private static void printThroughput(Map<String, List<Sample>> tput) {
        System.out.println();
        System.out.println("Throughput (iperf3 TCP, 1 stream, c1 → c3; paths alternating per trial; ratio: medians, to the"
                + " kernel path on the 1450 network):");
        System.out.println();
        System.out.println("| path | network MTU | median Gbit/s | min | max | ratio to kernel | tunnel routers' CPU cores"
                + " per Gbit/s | of it in the kernel | user CPU cores per Gbit/s | retransmits (median) | runs |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        double kernel = med(tput.get("kernel 1450"), Sample::gbit);
        for (Map.Entry<String, List<Sample>> e : tput.entrySet()) {
            String[] k = e.getKey().split(" ");
            double[] g = e.getValue().stream().mapToDouble(Sample::gbit).toArray();
            System.out.printf("| %s | %s | %.2f | %.2f | %.2f | %.3f | %.3f | %.0f %% | %.3f | %.0f | %d |%n", k[0], k[1],
                    MeshStats.median(g), MeshStats.min(g), MeshStats.max(g), MeshStats.median(g) / kernel,
                    med(e.getValue(), Sample::routerCoresPerGbit), 100 * med(e.getValue(), Sample::routerSystemShare),
                    med(e.getValue(), Sample::userCoresPerGbit), med(e.getValue(), Sample::retransmits), g.length);
        }
        double u1450 = med(tput.get("tunnel/udp 1450"), Sample::gbit);
        double u1390 = med(tput.get("tunnel/udp 1390"), Sample::gbit);
        System.out.println();
        System.out.printf("UDP tunnel: %.2f Gbit/s at MTU 1450 (fragmented), %.2f at 1390 (%.2fx); goal >= 1 Gbit/s: %s;"
                + " %.1f-%.1fx Weave's sleeve (0.29-0.35 Gbit/s measured earlier on this machine)%n", u1450, u1390,
                u1390 / u1450, Math.max(u1450, u1390) >= 1 ? (Math.min(u1450, u1390) >= 1 ? "met on both networks"
                        : "met only at MTU " + (u1390 >= 1 ? "1390" : "1450")) : "not met",
                Math.max(u1450, u1390) / SLEEVE_HIGH, Math.max(u1450, u1390) / SLEEVE_LOW);
    }

    private static double med(List<Sample> l, java.util.function.ToDoubleFunction<Sample> f) {
        return l == null ? Double.NaN : MeshStats.median(l.stream().mapToDouble(f).toArray());
    }

    private static void printHeartbeat(Heartbeat a, Heartbeat b) {
        System.out.println();
        System.out.println("Heartbeat cost at idle (no containers, no traffic; means over all routers of the mesh; IP bytes):");
        System.out.println();
        System.out.println("| routers | peers each | heartbeat tx B/s per peer | rx B/s per peer | router CPU % (mean) | min | max |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Heartbeat h : List.of(a, b)) {
            System.out.printf("| %d | %d | %.0f | %.0f | %.3f | %.3f | %.3f |%n", h.routers(), h.routers() - 1, h.txPerPeer(),
                    h.rxPerPeer(), h.cpuPercent(), h.cpuMin(), h.cpuMax());
        }
        double perPeer = (b.cpuPercent() - a.cpuPercent()) / ((b.routers() - 1) - (a.routers() - 1));
        System.out.printf("%nper extra peer (2 → 6 routers): %+.3f %% of a core per router (heartbeats and the mesh's own"
                + " per-member work together); heartbeats %.0f + %.0f B/s of IP per peer and direction pair%n", perPeer,
                b.txPerPeer(), b.rxPerPeer());
    }

    private static void printCrypto(Crypto c2, Crypto c1, Map<String, List<Sample>> tput) {
        System.out.println();
        System.out.println("Crypto share (AES-256-GCM seal + open with the JDK, one thread, direct buffers, init per packet):");
        System.out.println();
        System.out.println("| JVM | packet | Gbit/s per core (seal + open) | ns per packet |");
        System.out.println("|---|---|---|---|");
        for (Crypto c : List.of(c2, c1)) {
            System.out.printf("| %s | 1400 B | %.2f | %.0f |%n", c.compiler(), c.gbit1400(), c.ns1400());
            System.out.printf("| %s | 750 B | %.2f | %.0f |%n", c.compiler(), c.gbit750(), c.ns750());
        }
        System.out.println();
        System.out.println("| tunnel path | tunnel routers' CPU cores per Gbit/s | crypto cores per Gbit/s (C2) | crypto share |");
        System.out.println("|---|---|---|---|");
        // bytes sealed per byte of TCP payload: MTU 1390: one 1440-byte VXLAN packet per 1350 bytes (MSS);
        // MTU 1450: one 1500-byte packet per 1410 bytes, sealed as two ~750-byte fragments
        cryptoRow("tunnel/udp 1390", tput, (1440.0 / 1350) / c2.gbit1400());
        cryptoRow("tunnel/udp 1450", tput, (1500.0 / 1410) / c2.gbit750());
        cryptoRow("tunnel/tcp 1450", tput, (1500.0 / 1410) / c2.gbit1400());
        System.out.println("(crypto cores per Gbit/s of iperf3 goodput = sealed bytes per payload byte / the microbenchmark's"
                + " Gbit/s per core: 1440/1350 at MTU 1390 with 1400-byte figures; 1500/1410 at MTU 1450, the UDP tunnel's"
                + " two fragments with the 750-byte figure, TCP unfragmented with the 1400-byte one)");
    }

    private static void cryptoRow(String path, Map<String, List<Sample>> tput, double cryptoCores) {
        double cores = med(tput.get(path), Sample::routerCoresPerGbit);
        System.out.printf("| %s | %.3f | %.3f | %.0f %% |%n", path, cores, cryptoCores, 100 * cryptoCores / cores);
    }

    private static List<String> concat(List<String> a, String... b) {
        return MeshBench.concat(a, b);
    }
}
