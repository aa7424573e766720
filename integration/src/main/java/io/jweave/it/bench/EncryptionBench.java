package io.jweave.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.it.testbed.HostProcess;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import io.jweave.router.status.StatusClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The price of a mesh password ({@code ./jweave bench encryption [SECONDS=10] [ROUNDS=3] [wireguard|no-wireguard]}),
 * measured in the same run on one test bed of four simulated hosts: host1 + host2 form a mesh without
 * a password (kernel VXLAN straight over the underlay), host3 + host4 a mesh with one ({@code
 * --password-file}, mode 0600, under each host's run directory: everything between the two routers
 * goes through their userspace tunnel, TUN {@code jwtun0} + AES-256-GCM over UDP 6783). Each mesh has
 * a jweave network, an iperf3 server container on its second host and a client container on its
 * first.
 * <ul>
 *   <li><b>Throughput</b>: iperf3 (TCP, 1 and 2 streams) from the client container to the server
 *       container, the paths in rotating order per round, one 2 s warm-up run per path not counted.
 *       The client is the machine's iperf3 run in the client container's network namespace
 *       ({@code nsenter -n}: no {@code docker exec} in the CPU figures). CPU per run: the whole
 *       machine's busy time from {@code /proc/stat} (all cores; idle and iowait excluded) and the
 *       utime + stime of the path's two router JVMs ({@code /proc/PID/stat}), divided by the run's
 *       wall time and its Gbit/s: CPU cores per Gbit/s, i.e. CPU seconds per Gbit carried; and the
 *       share of the tunnel processes' CPU spent in the kernel (stime: TUN and socket system calls).</li>
 *   <li><b>RTT</b>: 50 pings at 0.05 s from the client container to the server container per path
 *       and round (iputils, per-ping times), mean and nearest-rank percentiles over all rounds.</li>
 *   <li><b>Launch to ready</b>: the second host's router of each mesh is stopped (SIGTERM) and
 *       launched again (same data directory, joining the first host), meshes alternating; time from
 *       the spawn of {@code ./jweave launch} to its "ready" line, to its plugin socket answering
 *       {@code Plugin.Activate}, and to its {@code GET /peers} listing both routers as connected
 *       (with a password: and the session with the other router up, {@code "encrypted": true}).</li>
 *   <li><b>WireGuard</b> (optional baseline, a userspace tunnel like jweave's): {@code wireguard-go}
 *       (Debian's, installed with apt-get when missing) in two extra namespaces of the run joined by a
 *       veth, iperf3 between the namespaces over the wg interfaces (MTU 1420), in the same rotation;
 *       its "router CPU" is the two wireguard-go processes. Not containers, not Docker: a ceiling for
 *       a userspace tunnel on this machine, not a like-for-like path.</li>
 * </ul>
 */
final class EncryptionBench {
    private static final String NET = "enc";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RECEIVED = Pattern.compile(
            "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");
    private static final Pattern RETRANSMITS = Pattern.compile(
            "\"sum_sent\"\\s*:\\s*\\{[^}]*?\"retransmits\"\\s*:\\s*([0-9]+)");
    private static final Pattern PING_TIME = Pattern.compile("icmp_seq=(\\d+) .*time=([0-9.]+) ms");
    private static final long CLK_TCK = 100; // USER_HZ, the unit of /proc/stat and /proc/PID/stat on Linux
    private static final String WG_NET = "100.100.1.";
    private static final String WG_UNDERLAY = "198.51.100.22";

    private EncryptionBench() {
    }

    /** A mesh of two routers: {@code a} holds the client container, {@code b} the server. */
    private static final class Mesh {
        final String name;
        final SimHost a;
        final SimHost b;
        final boolean password;
        MeshRouter ra;
        MeshRouter rb;
        int restarts;

        Mesh(String name, SimHost a, SimHost b, boolean password) {
            this.name = name;
            this.a = a;
            this.b = b;
            this.password = password;
        }

        boolean password() {
            return password;
        }

        /** Launch options on host {@code h}: with a password, the host's own copy of the file. */
        List<String> options(SimHost h) {
            return password ? List.of("--password-file", h.runDir().resolve("password").toString()) : List.of();
        }

        void launch() {
            ra = MeshRouter.launch(a, "jweave", a.runDir().resolve("jweave"), options(a));
            rb = MeshRouter.launch(b, "jweave", b.runDir().resolve("jweave"), options(b), a.underlayIp());
            awaitMembers(ra, password(), Duration.ofSeconds(60));
            awaitMembers(rb, password(), Duration.ofSeconds(60));
        }
    }

    /** A throughput/RTT path: commands run from the root namespace with {@code enter} in front. */
    private record Route(String name, List<String> enter, String target, List<Long> cpuPids) {
    }

    /** One iperf3 run; {@code tunnelSystemShare}: the part of the tunnel processes' CPU spent in the kernel (stime). */
    private record Sample(double gbit, double machineCoresPerGbit, double tunnelCoresPerGbit, double tunnelSystemShare,
                          long retransmits) {
    }

    static void run(int seconds, int rounds, boolean wireguard) throws Exception {
        MeshBench.header("Encryption: mesh with a password vs without (iperf3 " + seconds + " s, " + rounds
                + " rounds, rotating order)");
        Map<String, List<Sample>> tput = new LinkedHashMap<>();
        Map<String, List<Double>> rtt = new LinkedHashMap<>();
        Map<String, Integer> rttLost = new LinkedHashMap<>();
        Map<String, List<double[]>> launches = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        try (Testbed tb = Testbed.builder().hosts(4).start()) {
            Mesh plain = new Mesh("plain", tb.host(1), tb.host(2), false);
            passwordFiles(tb.host(3), tb.host(4));
            Mesh enc = new Mesh("encrypted", tb.host(3), tb.host(4), true);
            List<Mesh> meshes = List.of(plain, enc);
            for (Mesh m : meshes) {
                m.launch();
            }
            List<Route> routes = new ArrayList<>();
            for (Mesh m : meshes) {
                routes.add(containers(m));
            }
            if (wireguard) {
                Route wg = wireguard(tb, notes);
                if (wg != null) {
                    routes.add(wg);
                }
            }
            for (Route r : routes) {
                awaitPing(r);
                Result mtu = MeshBench.run(Duration.ofSeconds(10), concat(r.enter(), "ip", "-o", "link").toArray(String[]::new));
                String dev = mtu.out().lines().filter(l -> !l.contains(" lo:")).map(l -> l.replaceAll("^\\d+: (\\S+?)(@\\S+)?: .* mtu (\\d+) .*$", "$1 mtu $3"))
                        .reduce((x, y) -> x + ", " + y).orElse("?");
                System.out.printf("%-10s → %s (client side: %s)%n", r.name(), r.target(), dev);
            }
            Map<String, Map<String, Double>> before = new LinkedHashMap<>();
            for (Mesh m : meshes) {
                before.put(m.name, tunnelCounters(m));
            }
            for (Route r : routes) {
                iperf(r, 2, 1);
            }
            for (int round = 0; round < rounds; round++) {
                for (int streams : new int[] {1, 2}) {
                    for (int k = 0; k < routes.size(); k++) {
                        Route r = routes.get((k + round) % routes.size());
                        Sample s = iperf(r, seconds, streams);
                        tput.computeIfAbsent(r.name() + "/" + streams, x -> new ArrayList<>()).add(s);
                        System.out.printf("round %d: %-10s %d stream(s): %.2f Gbit/s, machine %.2f / tunnel %.2f CPU cores"
                                + " per Gbit/s (tunnel %.0f %% in the kernel), %d retransmits%n", round + 1, r.name(), streams,
                                s.gbit(), s.machineCoresPerGbit(), s.tunnelCoresPerGbit(), 100 * s.tunnelSystemShare(),
                                s.retransmits());
                    }
                }
                for (int k = 0; k < routes.size(); k++) {
                    Route r = routes.get((k + round) % routes.size());
                    int lost = ping(r, 50, rtt.computeIfAbsent(r.name(), x -> new ArrayList<>()));
                    rttLost.merge(r.name(), lost, Integer::sum);
                }
            }
            for (Mesh m : meshes) {
                Map<String, Double> after = tunnelCounters(m);
                if (!after.isEmpty()) {
                    System.out.println();
                    System.out.println(m.name + " mesh, tunnel counters of host " + m.a.name() + " during the measurements:");
                    for (Map.Entry<String, Double> e : after.entrySet()) {
                        double d = e.getValue() - before.get(m.name).getOrDefault(e.getKey(), 0.0);
                        if (d != 0 || e.getKey().contains("dropped")) {
                            System.out.printf("  %s %+.0f%n", e.getKey(), d);
                        }
                    }
                }
            }

            // launch to ready: the second host's router of each mesh stopped and launched again
            System.out.println();
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < meshes.size(); k++) {
                    Mesh m = meshes.get((k + round) % meshes.size());
                    double[] t = relaunch(m);
                    launches.computeIfAbsent(m.name, x -> new ArrayList<>()).add(t);
                    System.out.printf("round %d: %-9s router %s relaunched: ready %.0f ms, plugin answers %.0f ms, both"
                            + " routers connected%s %.0f ms%n", round + 1, m.name, m.b.name(), t[0], t[1],
                            m.password() ? " (session up)" : "", t[2]);
                }
            }
            for (Mesh m : meshes) {
                Route r = containers(m);
                awaitPing(r);
            }
            System.out.println("after the relaunches both meshes' containers still ping each other");
            for (Mesh m : meshes) {
                for (SimHost h : List.of(m.a, m.b)) {
                    notes.addAll(logProblems(h));
                }
            }
        }

        System.out.println();
        System.out.println("| path | streams | median Gbit/s | min | max | machine CPU cores per Gbit/s | tunnel CPU cores"
                + " per Gbit/s | tunnel CPU in kernel | retransmits (median) | runs |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (int s : new int[] {1, 2}) {
            for (Map.Entry<String, List<Sample>> e : tput.entrySet()) {
                String[] k = e.getKey().split("/");
                if (Integer.parseInt(k[1]) != s) {
                    continue;
                }
                double[] g = e.getValue().stream().mapToDouble(Sample::gbit).toArray();
                double mc = MeshStats.median(e.getValue().stream().mapToDouble(Sample::machineCoresPerGbit).toArray());
                double tc = MeshStats.median(e.getValue().stream().mapToDouble(Sample::tunnelCoresPerGbit).toArray());
                double rt = MeshStats.median(e.getValue().stream().mapToDouble(Sample::retransmits).toArray());
                double sys = MeshStats.median(e.getValue().stream().mapToDouble(Sample::tunnelSystemShare).toArray());
                System.out.printf("| %s | %d | %.2f | %.2f | %.2f | %.2f | %.3f | %.0f %% | %.0f | %d |%n", k[0], s,
                        MeshStats.median(g), MeshStats.min(g), MeshStats.max(g), mc, tc, 100 * sys, rt, g.length);
            }
        }
        System.out.println();
        for (int s : new int[] {1, 2}) {
            List<Sample> e = tput.get("encrypted/" + s);
            List<Sample> p = tput.get("plain/" + s);
            double em = MeshStats.median(e.stream().mapToDouble(Sample::gbit).toArray());
            double pm = MeshStats.median(p.stream().mapToDouble(Sample::gbit).toArray());
            List<String> paired = new ArrayList<>();
            for (int i = 0; i < e.size(); i++) {
                paired.add(String.format("%.3f", e.get(i).gbit() / p.get(i).gbit()));
            }
            String wg = "";
            if (tput.containsKey("wireguard/" + s)) {
                double wm = MeshStats.median(tput.get("wireguard/" + s).stream().mapToDouble(Sample::gbit).toArray());
                wg = String.format("; encrypted / wireguard-go = %.2f", em / wm);
            }
            System.out.printf("%d stream(s): encrypted / plain = %.3f (medians; per round %s); encrypted %.2f Gbit/s"
                    + " (goal >= 1 Gbit/s: %s)%s%n", s, em / pm, paired, em, em >= 1 ? "met" : "not met", wg);
        }
        System.out.println();
        System.out.println("| path | pings | lost | avg ms | p50 ms | p99 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Map.Entry<String, List<Double>> e : rtt.entrySet()) {
            double[] v = MeshStats.of(e.getValue());
            System.out.printf("| %s | %d | %d | %.3f | %.3f | %.3f | %.3f |%n", e.getKey(), v.length + rttLost.get(e.getKey()),
                    rttLost.get(e.getKey()), java.util.Arrays.stream(v).average().orElse(Double.NaN), MeshStats.median(v),
                    MeshStats.percentile(v, 99), MeshStats.max(v));
        }
        System.out.println();
        System.out.println("| mesh | relaunches | ready p50 ms | plugin answers p50 ms | both routers connected p50 ms | min"
                + " | max | ratio to plain |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        double plainMembers = MeshStats.median(launches.get("plain").stream().mapToDouble(t -> t[2]).toArray());
        for (Map.Entry<String, List<double[]>> e : launches.entrySet()) {
            double[] members = e.getValue().stream().mapToDouble(t -> t[2]).toArray();
            System.out.printf("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f |%n", e.getKey(), members.length,
                    MeshStats.median(e.getValue().stream().mapToDouble(t -> t[0]).toArray()),
                    MeshStats.median(e.getValue().stream().mapToDouble(t -> t[1]).toArray()), MeshStats.median(members),
                    MeshStats.min(members), MeshStats.max(members), MeshStats.median(members) / plainMembers);
        }
        if (!notes.isEmpty()) {
            System.out.println();
            notes.forEach(System.out::println);
        }
    }

    /** The same fresh password in a file {@code password} (mode 0600) in each host's run directory. */
    private static void passwordFiles(SimHost... hosts) throws IOException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        String pw = Base64.getEncoder().encodeToString(secret) + "\n";
        for (SimHost h : hosts) {
            Path f = h.runDir().resolve("password");
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, pw, StandardCharsets.US_ASCII);
        }
    }

    /** Network on the mesh, server container on b, client on a; returns the path between them. */
    private static Route containers(Mesh m) {
        if (m.a.docker("inspect", "enc-cli").ok()) {
            return route(m);
        }
        m.a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", NET);
        MeshBench.awaitNetwork(m.b, NET, Duration.ofSeconds(30));
        m.b.run("-d", "--name", "enc-srv", "--network", NET, TestImage.NAME, "iperf3", "-s");
        m.a.run("-d", "--name", "enc-cli", "--network", NET, TestImage.NAME, "sleep", "1000000");
        return route(m);
    }

    private static Route route(Mesh m) {
        long pid = MeshBench.containerPid(m.a, "enc-cli");
        return new Route(m.name, List.of("nsenter", "-t", Long.toString(pid), "-n"), m.b.containerIp("enc-srv", NET),
                List.of(m.ra.javaPid(), m.rb.javaPid()));
    }

    /** Waits until {@code r}'s {@code GET /peers} lists two connected routers (with a password: encrypted). */
    private static void awaitMembers(MeshRouter r, boolean encrypted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = StatusClient.get(r.dataDir(), "/peers");
                int connected = 0;
                boolean allEncrypted = true;
                for (JsonNode p : JSON.readTree(last).path("peers")) {
                    if ("connected".equals(p.path("state").asText())) {
                        connected++;
                        allEncrypted &= p.path("encrypted").asBoolean(false);
                    }
                }
                if (connected == 2 && (!encrypted || allEncrypted)) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                last = e.toString();
            }
            MeshBench.sleep(5);
        }
        throw new IllegalStateException(r.host().name() + ": the mesh does not have both routers connected"
                + (encrypted ? " with a session" : "") + " within " + timeout.toSeconds() + " s; last /peers: " + last
                + "\nrouter log:\n" + r.process().logTail(30));
    }

    /** Stops the second router of {@code m} and launches it again: {ready, answers, both connected} ms after spawn. */
    private static double[] relaunch(Mesh m) {
        m.rb.stop();
        // the first router notices the departure before the new start, so that the join is a real one
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline && connectedCount(m.ra) > 1) {
            MeshBench.sleep(20);
        }
        m.restarts++;
        m.rb = MeshRouter.launch(m.b, "jweave-relaunch" + m.restarts, m.b.runDir().resolve("jweave"), m.options(m.b),
                m.a.underlayIp());
        awaitMembers(m.rb, m.password(), Duration.ofSeconds(60));
        double members = m.rb.msSinceSpawn();
        return new double[] {m.rb.readyMs(), m.rb.answersMs(), members};
    }

    private static int connectedCount(MeshRouter r) {
        try {
            int n = 0;
            for (JsonNode p : JSON.readTree(StatusClient.get(r.dataDir(), "/peers")).path("peers")) {
                n += "connected".equals(p.path("state").asText()) ? 1 : 0;
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {@code jweave_tunnel_*} and {@code jweave_underlay_*} counters of the mesh's first router ({@code GET /metrics}). */
    private static Map<String, Double> tunnelCounters(Mesh m) {
        Map<String, Double> out = new LinkedHashMap<>();
        String text;
        try {
            text = StatusClient.get(m.ra.dataDir(), "/metrics");
        } catch (RuntimeException e) {
            return out;
        }
        for (String l : text.lines().toList()) {
            if ((l.startsWith("jweave_tunnel_") || l.startsWith("jweave_underlay_")) && !l.startsWith("#")) {
                int sp = l.lastIndexOf(' ');
                try {
                    out.put(l.substring(0, sp), Double.parseDouble(l.substring(sp + 1)));
                } catch (NumberFormatException e) {
                    // not a sample line
                }
            }
        }
        return out;
    }

    private static void awaitPing(Route r) {
        MeshBench.awaitPing(r.enter(), r.target(), r.name());
    }

    /** One iperf3 run with CPU accounting; Gbit/s received (the server's count). Retries if the server was busy. */
    private static Sample iperf(Route r, int seconds, int streams) {
        Duration timeout = Duration.ofSeconds(seconds + 40);
        String[] cmd = concat(r.enter(), "iperf3", "-c", r.target(), "-t", Integer.toString(seconds), "-P",
                Integer.toString(streams), "-J").toArray(String[]::new);
        Result last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            long[] m0 = machineTicks();
            long[] t0 = tunnelTicks(r);
            long w0 = System.nanoTime();
            last = MeshBench.run(timeout, cmd);
            double wall = (System.nanoTime() - w0) / 1e9;
            long[] m1 = machineTicks();
            long[] t1 = tunnelTicks(r);
            Matcher m = RECEIVED.matcher(last.stdout());
            if (last.ok() && m.find()) {
                double gbit = Double.parseDouble(m.group(1)) / 1e9;
                Matcher rt = RETRANSMITS.matcher(last.stdout());
                double machineCores = (m1[0] - m0[0]) / (double) CLK_TCK / wall;
                long user = t1[0] - t0[0];
                long sys = t1[1] - t0[1];
                double tunnelCores = (user + sys) / (double) CLK_TCK / wall;
                return new Sample(gbit, machineCores / gbit, tunnelCores / gbit,
                        user + sys == 0 ? Double.NaN : sys / (double) (user + sys), rt.find() ? Long.parseLong(rt.group(1)) : -1);
            }
            MeshBench.sleep(1000);
        }
        throw new IllegalStateException(r.name() + ": iperf3 failed: " + last.describe());
    }

    /** 50 (count) pings at 0.05 s; adds the per-ping RTTs in ms to {@code into}; returns how many got no reply. */
    private static int ping(Route r, int count, List<Double> into) {
        Result res = MeshBench.run(Duration.ofSeconds(count + 30), concat(r.enter(), "ping", "-c", Integer.toString(count),
                "-i", "0.05", r.target()).toArray(String[]::new));
        int got = 0;
        for (String l : res.stdout().lines().toList()) {
            Matcher m = PING_TIME.matcher(l);
            if (m.find()) {
                into.add(Double.parseDouble(m.group(2)));
                got++;
            }
        }
        return count - got;
    }

    /** Busy and total jiffies of the whole machine (first line of /proc/stat; idle and iowait are not busy). */
    private static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/stat", e);
        }
    }

    /** utime + stime (jiffies, all threads) of the route's tunnel processes: the router JVMs, or wireguard-go. */
    private static long[] tunnelTicks(Route r) {
        long[] sum = new long[2];
        for (long pid : r.cpuPids()) {
            long[] t = processTicks(pid);
            sum[0] += t[0];
            sum[1] += t[1];
        }
        return sum;
    }

    /** {utime, stime} of a process, all threads (fields 14 and 15 of /proc/PID/stat), in jiffies. */
    static long[] processTicks(long pid) {
        if (pid <= 0) {
            return new long[2];
        }
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
        } catch (IOException | RuntimeException e) {
            return new long[2];
        }
    }

    /**
     * The optional baseline: two namespaces of the run ({@code <prefix>wg1}, {@code wg2}; the test
     * bed's sweep removes them) joined by a veth, a wireguard-go interface in each, an iperf3 server
     * in the second. Null (and a note) when wireguard-go cannot be had.
     */
    private static Route wireguard(Testbed tb, List<String> notes) {
        if (!installed("wireguard-go") || !installed("wg")) {
            Result apt = MeshBench.run(Duration.ofMinutes(5), "apt-get", "install", "-y", "-q", "wireguard-go", "wireguard-tools");
            if (!apt.ok() || !installed("wireguard-go") || !installed("wg")) {
                notes.add("WireGuard baseline left out: apt-get install wireguard-go wireguard-tools failed: "
                        + apt.err().lines().reduce((x, y) -> y).orElse(""));
                return null;
            }
        }
        SimHost h = tb.host(1);
        String[] ns = {tb.prefix() + "wg1", tb.prefix() + "wg2"};
        String[] dev = {"wg" + tb.runId() + "a", "wg" + tb.runId() + "b"};
        String[][] keys = new String[2][];
        List<Long> pids = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                MeshBench.sh("ip", "netns", "add", ns[i]);
                MeshBench.sh("ip", "-n", ns[i], "link", "set", "lo", "up");
                String kp = MeshBench.sh("sh", "-c", "k=$(wg genkey); echo $k; echo $k | wg pubkey");
                keys[i] = kp.split("\\s+");
            }
            MeshBench.sh("ip", "-n", ns[0], "link", "add", "wgv0", "type", "veth", "peer", "name", "wgv1", "netns", ns[1]);
            for (int i = 0; i < 2; i++) {
                MeshBench.sh("ip", "-n", ns[i], "addr", "add", WG_UNDERLAY + (i + 1) + "/24", "dev", "wgv" + i);
                MeshBench.sh("ip", "-n", ns[i], "link", "set", "wgv" + i, "up");
                Path key = h.runDir().resolve("wg-key-" + i);
                Files.deleteIfExists(key);
                Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(key, keys[i][0] + "\n");
                HostProcess p = h.spawnInNetns("wireguard-go-" + (i + 1), List.of("env",
                        "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1", "nsenter", "--net=/run/netns/" + ns[i], "--",
                        "wireguard-go", "-f", dev[i]));
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!MeshBench.run(Duration.ofSeconds(5), "ip", "-n", ns[i], "link", "show", dev[i]).ok()) {
                    if (System.nanoTime() > deadline || !p.isAlive()) {
                        throw new IllegalStateException("wireguard-go made no " + dev[i] + ": " + p.logTail(10));
                    }
                    MeshBench.sleep(50);
                }
                pids.add(descendantNamed(p.pid(), "wireguard-go"));
                int o = 1 - i;
                MeshBench.sh("ip", "netns", "exec", ns[i], "wg", "set", dev[i], "listen-port", "51820", "private-key",
                        key.toString(), "peer", keys[o][1], "allowed-ips", WG_NET + (o + 1) + "/32", "endpoint",
                        WG_UNDERLAY + (o + 1) + ":51820");
                MeshBench.sh("ip", "-n", ns[i], "addr", "add", WG_NET + (i + 1) + "/24", "dev", dev[i]);
                MeshBench.sh("ip", "-n", ns[i], "link", "set", dev[i], "mtu", "1420", "up");
            }
            h.spawnInNetns("iperf3-wireguard", List.of("nsenter", "--net=/run/netns/" + ns[1], "--", "iperf3", "-s", "-B",
                    WG_NET + 2));
            MeshBench.sleep(300);
            Result v = MeshBench.run(Duration.ofSeconds(10), "wireguard-go", "--version");
            notes.add("WireGuard baseline: " + v.out().lines().findFirst().orElse("wireguard-go") + " in namespaces "
                    + ns[0] + " / " + ns[1] + " (veth, MTU 1500; wg MTU 1420)");
            return new Route("wireguard", List.of("ip", "netns", "exec", ns[0]), WG_NET + 2, pids);
        } catch (IOException | RuntimeException e) {
            notes.add("WireGuard baseline left out: " + e.getMessage().lines().findFirst().orElse(""));
            return null;
        }
    }

    private static boolean installed(String cmd) {
        return MeshBench.run(Duration.ofSeconds(5), "sh", "-c", "command -v " + cmd).ok();
    }

    private static long descendantNamed(long pid, String name) {
        return ProcessHandle.of(pid).stream().flatMap(h -> java.util.stream.Stream.concat(java.util.stream.Stream.of(h),
                        h.descendants()))
                .filter(h -> h.info().command().map(c -> c.endsWith("/" + name)).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(pid);
    }

    /** ERROR/WARN lines and exceptions in the routers' logs of a host (all its launches), at most 5 per log. */
    private static List<String> logProblems(SimHost h) {
        List<String> out = new ArrayList<>();
        try (var files = Files.list(h.logDir())) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("jweave")).sorted().toList()) {
                List<String> bad = Files.readAllLines(f).stream()
                        .filter(l -> l.contains(" ERROR ") || l.contains(" WARN ") || l.contains("Exception")).toList();
                if (!bad.isEmpty()) {
                    out.add(h.name() + "/" + f.getFileName() + ": " + bad.size() + " ERROR/WARN/exception lines, e.g.:");
                    bad.stream().limit(5).forEach(l -> out.add("    " + l));
                }
            }
        } catch (IOException e) {
            out.add(h.name() + ": cannot read the logs: " + e.getMessage());
        }
        return out;
    }

    private static List<String> concat(List<String> a, String... b) {
        return MeshBench.concat(a, b);
    }
}
