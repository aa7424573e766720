package io.jweave.it.bench;

import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cross-host TCP throughput (iperf3) between two simulated hosts, three paths measured in the same
 * run, in rotating order per round:
 * <ul>
 *   <li><b>jweave</b>: container on host1 → container on host2, both on a jweave network;</li>
 *   <li><b>hand-built</b>: the same two hosts, containers started with {@code --network none} and
 *       wired by hand with {@code ip}/{@code bridge}: per host a bridge + VXLAN device (id 42, dstport
 *       4790, nolearning proxy, MTU 1450) in an extra namespace ({@code <prefix>hb1}, {@code hb2}; the
 *       test bed's sweep removes them with the run), a veth into the container, static FDB +
 *       neighbour entries for the remote container (testbed-notes);</li>
 *   <li><b>underlay</b>: iperf3 between the two host namespaces over their eth0 (MTU 1500).</li>
 * </ul>
 */
final class MeshThroughputBench {
    private static final String NET = "tput";
    private static final Pattern RECEIVED = Pattern.compile(
            "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");
    private static final String HB_NET = "100.100.0.";
    private static final String[] HB_MAC = {"02:42:64:64:00:01", "02:42:64:64:00:02"};

    private MeshThroughputBench() {
    }

    private record Path(String name, String client, String target) {
    }

    static void run(int seconds, int rounds) throws Exception {
        MeshBench.header("Cross-host TCP throughput (iperf3 " + seconds + " s, " + rounds + " rounds, rotating order)");
        Map<String, List<Double>> results = new LinkedHashMap<>();
        try (Testbed tb = Testbed.builder().hosts(2).start()) {
            SimHost a = tb.host(1);
            SimHost b = tb.host(2);
            MeshRouter.launch(a, "jweave");
            MeshRouter.launch(b, "jweave", a.underlayIp());

            // jweave path
            a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", NET);
            MeshBench.awaitNetwork(b, NET, Duration.ofSeconds(30));
            b.run("-d", "--name", "jw-srv", "--network", NET, TestImage.NAME, "iperf3", "-s");
            a.run("-d", "--name", "jw-cli", "--network", NET, TestImage.NAME, "sleep", "1000000");
            String jwTarget = b.containerIp("jw-srv", NET);

            // hand-built path
            b.run("-d", "--name", "hb-srv", "--network", "none", TestImage.NAME, "iperf3", "-s");
            a.run("-d", "--name", "hb-cli", "--network", "none", TestImage.NAME, "sleep", "1000000");
            handBuild(a, "hb-cli", 0, b, tb.prefix() + "hb1");
            handBuild(b, "hb-srv", 1, a, tb.prefix() + "hb2");
            String hbTarget = HB_NET + 2;

            // underlay
            b.spawnInNetns("iperf3-underlay", List.of("iperf3", "-s", "-B", b.underlayIp()));

            List<Path> paths = List.of(new Path("jweave", "jw-cli", jwTarget), new Path("hand-built", "hb-cli", hbTarget),
                    new Path("underlay", null, b.underlayIp()));
            for (Path p : paths) {
                awaitPing(a, p);
            }
            System.out.printf("jweave %s → %s, hand-built %s → %s, underlay %s → %s%n", a.containerIp("jw-cli", NET),
                    jwTarget, HB_NET + 1, hbTarget, a.underlayIp(), b.underlayIp());
            // warm-up (not counted): one short run per path
            for (Path p : paths) {
                iperf(a, p, 2, 1);
            }
            for (int r = 0; r < rounds; r++) {
                for (int streams : new int[] {1, 2}) {
                    for (int k = 0; k < paths.size(); k++) {
                        Path p = paths.get((k + r) % paths.size());
                        double gbit = iperf(a, p, seconds, streams);
                        results.computeIfAbsent(p.name() + "/" + streams, x -> new ArrayList<>()).add(gbit);
                        System.out.printf("round %d: %-10s %d stream(s): %.2f Gbit/s%n", r + 1, p.name(), streams, gbit);
                    }
                }
            }
            rtt(a, paths);
        }
        System.out.println();
        System.out.println("| path | streams | median Gbit/s | min | max | runs |");
        System.out.println("|---|---|---|---|---|---|");
        for (Map.Entry<String, List<Double>> e : results.entrySet()) {
            double[] v = MeshStats.of(e.getValue());
            String[] k = e.getKey().split("/");
            System.out.printf("| %s | %s | %.2f | %.2f | %.2f | %d |%n", k[0], k[1], MeshStats.median(v),
                    MeshStats.min(v), MeshStats.max(v), v.length);
        }
        System.out.println();
        for (int s : new int[] {1, 2}) {
            double jw = MeshStats.median(MeshStats.of(results.get("jweave/" + s)));
            double hb = MeshStats.median(MeshStats.of(results.get("hand-built/" + s)));
            double ul = MeshStats.median(MeshStats.of(results.get("underlay/" + s)));
            List<Double> paired = new ArrayList<>();
            for (int i = 0; i < results.get("jweave/" + s).size(); i++) {
                paired.add(results.get("jweave/" + s).get(i) / results.get("hand-built/" + s).get(i));
            }
            System.out.printf("%d stream(s): jweave / hand-built = %.3f (medians; per-round ratios: median %.3f, %s)"
                    + "  (goal >= 0.97);  jweave / underlay = %.3f%n", s, jw / hb,
                    MeshStats.median(MeshStats.of(paired)), paired.stream().map(x -> String.format("%.2f", x)).toList(), jw / ul);
        }
    }

    /**
     * Wires container {@code c} on host {@code h} into a hand-built VXLAN towards {@code peer}: the
     * bridge lives in an extra namespace of its own (like jweave's per-network namespace: in the
     * host namespace, dockerd's iptables FORWARD policy DROP would see bridged frames through
     * br_netfilter); the VXLAN device is created in the host namespace on eth0, so its UDP socket
     * stays there, and then moved into the bridge's namespace.
     */
    private static void handBuild(SimHost h, String c, int me, SimHost peer, String hbns) {
        int other = 1 - me;
        long pid = MeshBench.containerPid(h, c);
        String ns = h.netns();
        MeshBench.sh("ip", "netns", "add", hbns);
        MeshBench.sh("ip", "-n", hbns, "link", "set", "lo", "up");
        MeshBench.sh("ip", "-n", hbns, "link", "add", "hbr0", "mtu", "1450", "type", "bridge");
        MeshBench.sh("ip", "-n", ns, "link", "add", "hvx0", "mtu", "1450", "type", "vxlan", "id", "42", "dstport", "4790",
                "local", h.underlayIp(), "dev", "eth0", "nolearning", "proxy");
        MeshBench.sh("ip", "-n", ns, "link", "set", "hvx0", "netns", hbns);
        MeshBench.sh("ip", "-n", hbns, "link", "set", "hvx0", "master", "hbr0", "up");
        MeshBench.sh("ip", "-n", hbns, "link", "set", "hbr0", "up");
        MeshBench.sh("ip", "-n", hbns, "link", "add", "hv0", "mtu", "1450", "type", "veth", "peer", "name", "eth1", "mtu", "1450",
                "netns", Long.toString(pid));
        MeshBench.sh("ip", "-n", hbns, "link", "set", "hv0", "master", "hbr0", "up");
        String t = Long.toString(pid);
        MeshBench.sh("nsenter", "-t", t, "-n", "ip", "link", "set", "eth1", "address", HB_MAC[me], "up");
        MeshBench.sh("nsenter", "-t", t, "-n", "ip", "addr", "add", HB_NET + (me + 1) + "/24", "dev", "eth1");
        MeshBench.sh("bridge", "-n", hbns, "fdb", "add", HB_MAC[other], "dev", "hvx0", "dst", peer.underlayIp(), "self", "permanent");
        MeshBench.sh("bridge", "-n", hbns, "fdb", "add", HB_MAC[other], "dev", "hvx0", "master", "static");
        MeshBench.sh("ip", "-n", hbns, "neigh", "add", HB_NET + (other + 1), "lladdr", HB_MAC[other], "dev", "hvx0", "nud", "permanent");
    }

    private static void awaitPing(SimHost a, Path p) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Result last = null;
        while (System.nanoTime() < deadline) {
            last = p.client() == null ? a.exec(Duration.ofSeconds(5), "ping", "-c", "1", "-W", "1", p.target())
                    : a.docker(Duration.ofSeconds(5), "exec", p.client(), "ping", "-c", "1", "-W", "1", p.target());
            if (last.ok()) {
                return;
            }
            MeshBench.sleep(200);
        }
        throw new IllegalStateException(p.name() + ": no ping reply from " + p.target() + ": "
                + (last == null ? "" : last.describe()));
    }

    /** One iperf3 run; Gbit/s received (the server's count). Retries once if the server was busy. */
    private static double iperf(SimHost a, Path p, int seconds, int streams) {
        Duration timeout = Duration.ofSeconds(seconds + 40);
        String[] args = {"iperf3", "-c", p.target(), "-t", Integer.toString(seconds), "-P", Integer.toString(streams), "-J"};
        Result last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            if (p.client() == null) {
                last = a.exec(timeout, args);
            } else {
                List<String> cmd = new ArrayList<>(List.of("exec", p.client()));
                cmd.addAll(List.of(args));
                last = a.docker(timeout, cmd.toArray(String[]::new));
            }
            Matcher m = RECEIVED.matcher(last.stdout());
            if (last.ok() && m.find()) {
                return Double.parseDouble(m.group(1)) / 1e9;
            }
            MeshBench.sleep(1000);
        }
        throw new IllegalStateException(p.name() + ": iperf3 failed: " + last.describe());
    }

    private static void rtt(SimHost a, List<Path> paths) {
        System.out.println();
        for (Path p : paths) {
            String[] args = {"ping", "-c", "20", "-i", "0.2", "-q", p.target()};
            Result r;
            if (p.client() == null) {
                r = a.exec(Duration.ofSeconds(30), args);
            } else {
                List<String> cmd = new ArrayList<>(List.of("exec", p.client()));
                cmd.addAll(List.of(args));
                r = a.docker(Duration.ofSeconds(30), cmd.toArray(String[]::new));
            }
            String line = r.stdout().lines().filter(l -> l.contains("min/avg/max")).findFirst().orElse(r.describe());
            System.out.printf("RTT %-10s %s%n", p.name(), line.strip());
        }
    }
}
