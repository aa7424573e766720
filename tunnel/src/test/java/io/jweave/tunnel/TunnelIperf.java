package io.jweave.tunnel;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A manual measurement, not a test: two throwaway namespaces joined by a veth, a TUN + Tunnel in each
 * (one JVM, or B in a child JVM with "split"), policy routing of TCP port 5201 into the TUNs, and iperf3 between the namespaces through
 * the tunnel. {@code java --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp ... io.jweave.tunnel.TunnelIperf
 * [SECONDS [ROUNDS [MODE,MODE... [split]]]]}; prints Gbit/s, the tunnels' CPU per packet and drops per
 * round and mode. Without the --add-opens every mode runs one system call per packet.
 * Used to profile the tunnel (e.g. with JFR) without Docker in the way.
 */
public final class TunnelIperf {
    private TunnelIperf() {
    }

    /** Modes: name -> {sendBatch, gso, recvBatch, gro}. */
    static int[] mode(String name) {
        return switch (name) {
            case "off" -> new int[] {1, 0, 1, 0};       // one system call per packet (the old path)
            case "mmsg" -> new int[] {32, 0, 16, 0};    // sendmmsg + recvmmsg
            case "gso" -> new int[] {32, 1, 16, 0};     // sendmmsg with UDP GSO + recvmmsg
            case "gro" -> new int[] {32, 1, 16, 1};     // ... + UDP GRO on receive
            case "gro16" -> new int[] {16, 1, 16, 1};   // batches of 16
            case "gro64" -> new int[] {64, 1, 16, 1};   // batches of 64
            default -> throw new IllegalArgumentException("mode: off, mmsg, gso, gro: " + name);
        };
    }

    /**
     * {@code TunnelIperf [SECONDS [ROUNDS [MODE,MODE...]]]}: runs ROUNDS rounds, each running every
     * MODE once (alternating A/B in the same run), and prints Gbit/s and the tunnels' CPU per mode.
     */
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String[] modes = (args.length > 2 ? args[2] : "gro").split(",");
        split = args.length > 3 && args[3].equals("split");
        Map<String, List<String>> results = new LinkedHashMap<>();
        KernelTunnelTest.namespaces();
        try {
            for (int r = 0; r < rounds; r++) {
                for (String m : modes) {
                    String line = round(seconds, m);
                    System.out.println("round " + (r + 1) + " " + m + ": " + line);
                    results.computeIfAbsent(m, k -> new ArrayList<>()).add(line);
                }
            }
        } finally {
            KernelTunnelTest.cleanup();
        }
        System.out.println("summary:");
        results.forEach((m, l) -> System.out.println("  " + m + ": " + String.join(" | ", l)));
    }

    /** Whether side B runs in a JVM of its own (4th argument "split"). */
    static boolean split;

    /** Side B in a child JVM: "cpu" on stdin answers "total user rxPackets"; EOF closes it. */
    public static final class Side {
        public static void main(String[] args) throws Exception {
            int[] cfg = {Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5])};
            Tunnel t = tunnelIn(args[0], args[1], cfg);
            System.out.println("ready");
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
            String line;
            while ((line = in.readLine()) != null && !line.equals("quit")) {
                long[] c = tunnelCpu();
                System.out.println(c[0] + " " + c[1] + " " + t.stats().rxPackets());
            }
            t.close();
            System.exit(0);
        }
    }

    private static Process child;
    private static java.io.BufferedReader childOut;
    private static java.io.PrintStream childIn;

    private static long[] childCpu() throws Exception {
        if (child == null) {
            return new long[] {0, 0, 0};
        }
        childIn.println("cpu");
        childIn.flush();
        String[] v = childOut.readLine().trim().split(" ");
        return new long[] {Long.parseLong(v[0]), Long.parseLong(v[1]), Long.parseLong(v[2])};
    }

    static String round(int seconds, String mode) throws Exception {
        int[] cfg = mode(mode);
        Tunnel a = null;
        Tunnel b = null;
        Process server = null;
        try {
            a = tunnelIn(KernelTunnelTest.NA, "198.51.100.1", cfg);
            if (split) {
                String java = ProcessHandle.current().info().command().orElse("java");
                child = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xmx128m",
                        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                        Side.class.getName(), KernelTunnelTest.NB, "198.51.100.2", "" + cfg[0], "" + cfg[1], "" + cfg[2],
                        "" + cfg[3]).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                childOut = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()));
                childIn = new java.io.PrintStream(child.getOutputStream(), true);
                String l;
                while ((l = childOut.readLine()) != null && !l.equals("ready")) {
                    System.out.println("B: " + l);
                }
            } else {
                b = tunnelIn(KernelTunnelTest.NB, "198.51.100.2", cfg);
            }
            server = new ProcessBuilder("ip", "netns", "exec", KernelTunnelTest.NB, "iperf3", "-s", "-1", "-B",
                    "198.51.100.2").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(500);
            long drops0 = drops();
            long[] cpu0 = tunnelCpu();
            long[] ccpu0 = childCpu();
            Process client = new ProcessBuilder("ip", "netns", "exec", KernelTunnelTest.NA, "iperf3", "-c",
                    "198.51.100.2", "-f", "g", "-t", Integer.toString(seconds)).redirectErrorStream(true).start();
            String out = new String(client.getInputStream().readAllBytes());
            client.waitFor();
            long[] cpu1 = tunnelCpu();
            long[] ccpu1 = childCpu();
            long drops = drops() - drops0;
            String dropsDetail = drops + " (UDP RcvbufErrors + TUN tx drops in this round; cumulative now: " + lastDetail + ")";
            String rate = "?";
            Matcher mt = Pattern.compile("([0-9.]+) Gbits/sec\\s+(\\d*)\\s*sender").matcher(out);
            String retr = "?";
            if (mt.find()) {
                retr = mt.group(2);
            }
            Matcher mr = Pattern.compile("([0-9.]+) Gbits/sec\\s+receiver").matcher(out);
            if (mr.find()) {
                rate = mr.group(1);
            }
            double total = (cpu1[0] - cpu0[0] + ccpu1[0] - ccpu0[0]) / 1e9;
            double user = (cpu1[1] - cpu0[1] + ccpu1[1] - ccpu0[1]) / 1e9;
            TunnelStats sa = a.stats();
            long bRx = b != null ? b.stats().rxPackets() : ccpu1[2];
            return String.format("%s Gbit/s retr %s, tunnel threads cpu %.1f s (%.1f us/packet, %.0f %% kernel), A tx %d err %d, B rx %d, drops %s",
                    rate, retr, total, sa.txPackets() > 0 ? total * 1e6 / sa.txPackets() : 0, total > 0 ? 100 * (total - user) / total : 0, sa.txPackets(), sa.sendErrors(),
                    bRx, dropsDetail);
        } finally {
            if (server != null) {
                server.destroy();
            }
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
            if (child != null) {
                childIn.close();
                child.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                child.destroy();
                child = null;
            }
            for (String ns : new String[] {KernelTunnelTest.NA, KernelTunnelTest.NB}) {
                KernelTunnelTest.status("ip", "netns", "exec", ns, "ip", "link", "del", "jwtun0");
                KernelTunnelTest.status("ip", "netns", "exec", ns, "ip", "rule", "del", "ipproto", "tcp", "dport", "5201", "lookup", "100");
                KernelTunnelTest.status("ip", "netns", "exec", ns, "ip", "rule", "del", "ipproto", "tcp", "sport", "5201", "lookup", "100");
            }
        }
    }

    private static String lastDetail = "";

    /** UDP RcvbufErrors + the TUNs' tx drops in both namespaces (a sum; the parts in lastDetail). */
    static long drops() throws Exception {
        long sum = 0;
        StringBuilder d = new StringBuilder();
        for (String ns : new String[] {KernelTunnelTest.NA, KernelTunnelTest.NB}) {
            String snmp = KernelTunnelTest.run("ip", "netns", "exec", ns, "cat", "/proc/net/snmp");
            String[] lines = snmp.split("\n");
            long rcvbuf = 0;
            for (int i = 0; i + 1 < lines.length; i++) {
                if (lines[i].startsWith("Udp:") && lines[i + 1].startsWith("Udp:")) {
                    List<String> h = List.of(lines[i].trim().split("\\s+"));
                    String[] v = lines[i + 1].trim().split("\\s+");
                    rcvbuf = Long.parseLong(v[h.indexOf("RcvbufErrors")]);
                    break;
                }
            }
            String tx = KernelTunnelTest.run("ip", "netns", "exec", ns, "cat", "/sys/class/net/jwtun0/statistics/tx_dropped").trim();
            long tund = tx.isEmpty() ? 0 : Long.parseLong(tx);
            sum += rcvbuf + tund;
            d.append(ns.startsWith("jwtunA") ? "A" : "B").append(" rcvbuf ").append(rcvbuf).append(" tun ").append(tund).append("; ");
        }
        lastDetail = d.toString();
        return sum;
    }

    /** {total, user} CPU nanoseconds of the live jweave-tunnel-* threads. */
    static long[] tunnelCpu() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long total = 0;
        long user = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("jweave-tunnel-")) {
                total += Math.max(0, mx.getThreadCpuTime(t.getId()));
                user += Math.max(0, mx.getThreadUserTime(t.getId()));
            }
        }
        return new long[] {total, user};
    }

    /** The TUNs' MTU (-Djweave.iperf.tunMtu; 1440 = unfragmented over the veth's 1500, 1500 = every full packet in two fragments). */
    static final int TUN_MTU = Integer.getInteger("jweave.iperf.tunMtu", 1440);

    static Tunnel tunnelIn(String ns, String self, int[] cfg) throws Exception {
        Tunnel t = KernelTunnelTest.inNs(ns, () -> {
            TunDevice dev = TunDevice.open("jwtun0", false);
            Tunnel tun = new Tunnel(new TunnelConfig(new InetSocketAddress(InetAddress.getByName(self), 6783), 6783,
                    Pair.PSK, Duration.ofSeconds(120), TUN_MTU), dev, null);
            tun.sendBatch = cfg[0];
            tun.gso = cfg[1] != 0;
            tun.recvBatch = cfg[2];
            tun.gro = cfg[3] != 0;
            tun.start();
            return tun;
        });
        KernelTunnelTest.sh(ns, "ip link set jwtun0 mtu " + TUN_MTU + " up");
        KernelTunnelTest.sh(ns, "sysctl -qw net.ipv4.conf.jwtun0.rp_filter=0");
        KernelTunnelTest.sh(ns, "ip route add default dev jwtun0 table 100 src " + self);
        KernelTunnelTest.sh(ns, "ip rule add ipproto tcp dport 5201 lookup 100");
        KernelTunnelTest.sh(ns, "ip rule add ipproto tcp sport 5201 lookup 100");
        return t;
    }
}
