package io.jweave.it.bench;

import java.util.Arrays;

/**
 * {@code ./jweave bench [NAME [ARGS...]]}: reruns the benchmarks of docs/benchmarks.md and prints
 * their tables. Each comparison is measured within the same run.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length == 0 ? "all" : args[0];
        String[] rest = args.length == 0 ? new String[0] : Arrays.copyOfRange(args, 1, args.length);
        switch (which) {
            case "netlink" -> NetlinkBench.main(rest);
            case "plugin" -> PluginLatencyBench.main(rest);
            case "docker" -> DockerBench.main(rest);
            case "all" -> {
                // Every figure of docs/benchmarks.md, in the order of that file.
                String[][] all = {{"netlink"}, {"plugin"}, {"docker"}, {"throughput"}, {"convergence"}, {"router"},
                        {"image"}, {"dns-core"}, {"dns"}, {"encryption"}, {"fallback"}, {"ui"}};
                for (String[] b : all) {
                    System.out.println("==== jweave bench " + b[0] + " ====");
                    main(b);
                    System.out.println();
                }
            }
            case "throughput" -> MeshBench.throughput(rest);
            case "convergence" -> MeshBench.convergence(rest);
            case "router" -> MeshBench.router(rest);
            case "dns-core" -> DnsCoreBench.main(rest);
            case "dns" -> DnsBench.main(rest);
            case "image" -> MeshBench.image(rest);
            case "encryption" -> MeshBench.encryption(rest);
            case "fallback" -> FallbackBench.run(rest);
            case "ui" -> UiBench.main(rest);
            case "-h", "--help", "help" -> usage();
            default -> {
                System.err.println("jweave bench: unknown benchmark \"" + which + "\"");
                usage();
                System.exit(2);
            }
        }
    }

    private static void usage() {
        System.out.println("""
                Usage: jweave bench [NAME [ARGS...]]
                  netlink [ENTRIES] [ROUNDS]  neighbour + FDB programming: netlink-ffi vs ip/bridge -batch
                  plugin [N] [WARMUP] [disk|tmpfs]  plugin call latency (RequestAddress .. ReleaseAddress) on the socket
                  docker [N]                  docker run -d on a jweave network vs a bridge network, one simulated host
                  throughput [SECONDS] [ROUNDS]  cross-host iperf3: jweave vs hand-built VXLAN vs underlay (2 hosts)
                  convergence [SAMPLES] [NETS]   container on A -> ping from B; network create on A -> usable on B
                  router [ROUNDS] [ENDPOINTS]    router start to ready; RSS idle and with ENDPOINTS remote endpoints
                  dns-core [SECONDS] [ROUNDS]    DNS server core alone on loopback: dnsperf vs an echo ceiling (and dnsmasq)
                  dns [SECONDS] [SAMPLES]        DNS end to end (2 hosts): dnsperf in a container vs Docker's 127.0.0.11;
                                                 docker run on A -> name resolves on B
                  image [ROUNDS] [ENDPOINTS]     router image size; container vs process start to ready; container RSS
                  encryption [SECONDS] [ROUNDS] [wireguard|no-wireguard]
                                                 mesh with a password vs without (4 hosts): iperf3 Gbit/s and CPU
                                                 per Gbit/s, ping RTT, relaunch to ready; wireguard-go baseline
                  fallback [TRIALS] [SECONDS] [HEARTBEAT_SECONDS]
                                                 kernel path fails without a password (3 hosts): time to the tunnel
                                                 and back, iperf3 kernel vs UDP/TCP tunnel (MTU 1450/1390), heartbeat
                                                 cost per peer (2 vs 6 routers), AES-GCM share of the tunnel's CPU
                  ui [SAMPLES] [ENDPOINTS] [LOADS]
                                                 topology page in headless chromium (2 hosts): docker run on B -> row on
                                                 A's page vs -> A's /api/events; page load and JS heap, empty mesh vs
                                                 ENDPOINTS endpoints
                  all                         every benchmark above in sequence, the figures of docs/benchmarks.md (the default)""");
    }
}
