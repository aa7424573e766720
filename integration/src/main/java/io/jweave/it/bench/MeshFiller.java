package io.jweave.it.bench;

import io.jweave.discovery.EndpointRecord;
import io.jweave.discovery.Mesh;
import io.jweave.discovery.MeshConfig;
import io.jweave.it.testbed.HostProcess;
import io.jweave.it.testbed.SimHost;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A throwaway mesh member for the router benchmark: joins the mesh and publishes N endpoint rows
 * of one network (as if N containers ran on hosts that do not exist), so that the routers hold N
 * remote endpoints and program N FDB + N neighbour entries, without starting N containers.
 * Runs inside a simulated host's network namespace (started with {@link #spawn} by
 * {@link MeshRouterBench} and {@link ImageBench}) and stays until SIGTERM.
 *
 * <pre>MeshFiller NAME ADVERTISE PORT PEER NETWORK FIRST_IP COUNT VTEP_PREFIX</pre>
 * e.g. {@code filler 198.51.100.12 6790 198.51.100.11 rss 100.64.241.0 1000 198.51.100.20}: VTEPs
 * 198.51.100.200 .. 198.51.100.203 (addresses nobody has; entries only, no packet is sent).
 */
public final class MeshFiller {
    /** The network the filler's endpoints belong to, and its subnet (create it before spawning). */
    static final String NETWORK = "rss";
    static final String SUBNET = "100.64.240.0/20";
    static final String FIRST_IP = "100.64.241.0";
    static final int PORT = 6790;
    /** The filler's endpoints sit behind VTEPs VTEP_PREFIX0..3: FDB entries to them are its. */
    static final String VTEP_PREFIX = "198.51.100.20";

    private MeshFiller() {
    }

    /** Starts a filler with {@code count} endpoints in {@code on}'s namespace, joining {@code peer}'s mesh. */
    static HostProcess spawn(SimHost on, SimHost peer, int count) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(MeshBench.javaOpens());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MeshFiller.class.getName(), "filler",
                on.underlayIp(), Integer.toString(PORT), peer.underlayIp(), NETWORK, FIRST_IP, Integer.toString(count),
                VTEP_PREFIX));
        return on.spawnInNetns("mesh-filler", cmd);
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        InetAddress adv = InetAddress.getByName(args[1]);
        int port = Integer.parseInt(args[2]);
        String peer = args[3];
        String network = args[4];
        byte[] first = InetAddress.getByName(args[5]).getAddress();
        int count = Integer.parseInt(args[6]);
        String vtepPrefix = args[7];
        long t0 = System.nanoTime();
        Mesh mesh = Mesh.start(MeshConfig.of(name, adv).withPort(port).withPeers(List.of(peer + ":" + MeshConfig.DEFAULT_PORT)));
        System.out.printf("filler: joined in %d ms, members %s%n", (System.nanoTime() - t0) / 1_000_000, mesh.members());
        long base = ((first[0] & 0xffL) << 24) | ((first[1] & 0xff) << 16) | ((first[2] & 0xff) << 8) | (first[3] & 0xff);
        long t1 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long a = base + i;
            String ip = ((a >> 24) & 0xff) + "." + ((a >> 16) & 0xff) + "." + ((a >> 8) & 0xff) + "." + (a & 0xff);
            String mac = String.format("02:42:%02x:%02x:%02x:%02x", (a >> 24) & 0xff, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
            String id = String.format("%064x", a);
            mesh.endpoints().publish(id, new EndpointRecord(network, ip, mac, name, vtepPrefix + (i % 4), "", List.of()));
        }
        System.out.printf("filler: published %d endpoints of network %s in %d ms%n", count, network,
                (System.nanoTime() - t1) / 1_000_000);
        System.out.flush();
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // withdraw the rows first, as a host whose containers are gone would; a member that
            // just vanishes has its endpoints kept for a while by design
            for (String id : mesh.endpoints().mine().keySet()) {
                mesh.endpoints().remove(id);
            }
            mesh.close();
            done.countDown();
        }));
        done.await();
    }
}
