package io.jweave.tunnel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A manual measurement, not a test: two throwaway namespaces joined by a veth, a TUN + Tunnel in each
 * (one JVM), policy routing of TCP port 5201 into the TUNs, and iperf3 between the namespaces through
 * the tunnel. {@code java -cp ... io.jweave.tunnel.TunnelIperf [SECONDS]}; prints iperf3's summary and
 * the tunnels' counters. Used to profile the tunnel (e.g. with JFR) without Docker in the way.
 */
public final class TunnelIperf {
    private TunnelIperf() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        KernelTunnelTest.namespaces();
        Tunnel a = null;
        Tunnel b = null;
        Process server = null;
        try {
            a = tunnelIn(KernelTunnelTest.NA, "198.51.100.1");
            b = tunnelIn(KernelTunnelTest.NB, "198.51.100.2");
            server = new ProcessBuilder("ip", "netns", "exec", KernelTunnelTest.NB, "iperf3", "-s", "-1", "-B",
                    "198.51.100.2").inheritIO().start();
            Thread.sleep(500);
            Process client = new ProcessBuilder("ip", "netns", "exec", KernelTunnelTest.NA, "iperf3", "-c",
                    "198.51.100.2", "-t", Integer.toString(seconds)).inheritIO().start();
            client.waitFor();
            System.out.println("A: " + a.stats());
            System.out.println("B: " + b.stats());
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
            KernelTunnelTest.cleanup();
        }
    }

    static Tunnel tunnelIn(String ns, String self) throws Exception {
        Tunnel t = KernelTunnelTest.inNs(ns, () -> {
            TunDevice dev = TunDevice.open("jwtun0", false);
            Tunnel tun = new Tunnel(new TunnelConfig(new InetSocketAddress(InetAddress.getByName(self), 6783), 6783,
                    Pair.PSK, Duration.ofSeconds(120), 1440), dev, null);
            tun.start();
            return tun;
        });
        KernelTunnelTest.sh(ns, "ip link set jwtun0 mtu 1440 up");
        KernelTunnelTest.sh(ns, "sysctl -qw net.ipv4.conf.jwtun0.rp_filter=0");
        KernelTunnelTest.sh(ns, "ip route add default dev jwtun0 table 100 src " + self);
        KernelTunnelTest.sh(ns, "ip rule add ipproto tcp dport 5201 lookup 100");
        KernelTunnelTest.sh(ns, "ip rule add ipproto tcp sport 5201 lookup 100");
        return t;
    }
}
