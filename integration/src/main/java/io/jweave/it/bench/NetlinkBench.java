package io.jweave.it.bench;

import io.jweave.netlink.FdbEntry;
import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.LinkSpec;
import io.jweave.netlink.LinkType;
import io.jweave.netlink.MacAddress;
import io.jweave.netlink.NetNs;
import io.jweave.netlink.Neighbour;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Programs N permanent neighbour entries and N VXLAN FDB entries (MAC → remote VTEP) on a VXLAN
 * device, once through netlink-ffi and once through {@code ip -batch} + {@code bridge -batch}, in
 * alternating rounds in the same run, and prints both times and their ratio.
 *
 * <p>Everything happens inside a throwaway network namespace; entries point at addresses in
 * 198.51.100.0/24 (VTEPs) and 100.64.0.0/10 (endpoints) and no packet is sent.
 *
 * <pre>./jweave bench netlink [ENTRIES] [ROUNDS]</pre>
 */
public final class NetlinkBench {
    private static final String VX = "jwbx-42";

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String ns = "jwbench-" + ProcessHandle.current().pid();
        Path dir = Files.createTempDirectory("jweave-bench");
        List<Neighbour> neigh = new ArrayList<>(n);
        List<FdbEntry> fdb = new ArrayList<>(n);
        StringBuilder ipBatch = new StringBuilder();
        StringBuilder bridgeBatch = new StringBuilder();
        double[] ffi = new double[rounds];
        double[] iproute = new double[rounds];
        double ffiCold;
        System.out.printf("netlink benchmark: %d neighbour + %d FDB entries on a VXLAN device, %d rounds each, alternating%n",
                n, n, rounds);
        try (NetNs netns = NetNs.create(ns); Handle h = Handle.open(netns)) {
            h.links().add(new LinkSpec("ul0", new LinkType.Veth("ul1")));
            h.addresses().add("ul0", IpPrefix.parse("198.51.100.1/24"));
            h.links().setUp("ul0");
            int vxIndex = createVxlan(h);
            for (int i = 0; i < n; i++) {
                InetAddress ip = InetAddress.getByAddress(new byte[] {100, (byte) (64 + (i >> 16)), (byte) (i >> 8), (byte) i});
                MacAddress mac = new MacAddress(new byte[] {2, 0x42, 100, (byte) (64 + (i >> 16)), (byte) (i >> 8), (byte) i});
                InetAddress vtep = InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, (byte) (2 + i % 250)});
                neigh.add(Neighbour.permanent(vxIndex, ip, mac));
                fdb.add(FdbEntry.vxlan(vxIndex, mac, vtep));
                ipBatch.append("neigh replace ").append(ip.getHostAddress()).append(" lladdr ").append(mac)
                        .append(" dev ").append(VX).append(" nud permanent\n");
                bridgeBatch.append("fdb replace ").append(mac).append(" dev ").append(VX).append(" dst ")
                        .append(vtep.getHostAddress()).append(" self permanent\n");
            }
            Path ipFile = dir.resolve("ip.batch");
            Path bridgeFile = dir.resolve("bridge.batch");
            Files.writeString(ipFile, ipBatch);
            Files.writeString(bridgeFile, bridgeBatch);

            // Cold run first (JIT, jnr-ffi stubs), reported separately.
            ffiCold = timeFfi(h, neigh, fdb);
            verify(h, vxIndex, n, "netlink-ffi (cold)");
            for (int r = 0; r < rounds; r++) {
                boolean ffiFirst = r % 2 == 0;
                for (int k = 0; k < 2; k++) {
                    vxIndex = recreate(h);
                    if ((k == 0) == ffiFirst) {
                        ffi[r] = timeFfi(h, rebind(neigh, vxIndex), rebindFdb(fdb, vxIndex));
                        verify(h, vxIndex, n, "netlink-ffi");
                    } else {
                        iproute[r] = timeIproute(ns, ipFile, bridgeFile);
                        verify(h, vxIndex, n, "iproute2 batch");
                    }
                }
            }
        } finally {
            if (NetNs.exists(ns)) {
                NetNs.delete(ns);
            }
            for (String f : new String[] {"ip.batch", "bridge.batch"}) {
                Files.deleteIfExists(dir.resolve(f));
            }
            Files.deleteIfExists(dir);
        }
        double mf = median(ffi);
        double mi = median(iproute);
        System.out.println();
        System.out.println("| method | entries | median ms | min ms | max ms |");
        System.out.println("|---|---|---|---|---|");
        System.out.printf("| netlink-ffi replaceAll (batched) | %d + %d | %.1f | %.1f | %.1f |%n", n, n, mf, min(ffi), max(ffi));
        System.out.printf("| ip -batch + bridge -batch | %d + %d | %.1f | %.1f | %.1f |%n", n, n, mi, min(iproute), max(iproute));
        System.out.printf("| netlink-ffi, first (cold JVM) run | %d + %d | %.1f | | |%n", n, n, ffiCold);
        System.out.printf("%nratio netlink-ffi / iproute2 (median time): %.3f  (goal <= 1.0)%n", mf / mi);
    }

    private static int createVxlan(Handle h) throws IOException {
        int ul = h.links().byName("ul0").orElseThrow().index();
        LinkType.Vxlan vx = LinkType.Vxlan.of(42).withLocal(InetAddress.getByName("198.51.100.1"))
                .withProxy(true).withUnderlay(ul);
        int idx = h.links().add(new LinkSpec(VX, vx).withMtu(1450)).index();
        h.links().setUp(VX);
        return idx;
    }

    private static int recreate(Handle h) throws IOException {
        h.links().delete(VX);
        return createVxlan(h);
    }

    private static List<Neighbour> rebind(List<Neighbour> l, int idx) {
        List<Neighbour> out = new ArrayList<>(l.size());
        for (Neighbour x : l) {
            out.add(Neighbour.permanent(idx, x.ip(), x.mac()));
        }
        return out;
    }

    private static List<FdbEntry> rebindFdb(List<FdbEntry> l, int idx) {
        List<FdbEntry> out = new ArrayList<>(l.size());
        for (FdbEntry x : l) {
            out.add(FdbEntry.vxlan(idx, x.mac(), x.dst()));
        }
        return out;
    }

    private static double timeFfi(Handle h, List<Neighbour> neigh, List<FdbEntry> fdb) {
        long t = System.nanoTime();
        h.neighbours().replaceAll(neigh);
        h.fdb().replaceAll(fdb);
        return (System.nanoTime() - t) / 1e6;
    }

    private static double timeIproute(String ns, Path ipFile, Path bridgeFile) throws Exception {
        long t = System.nanoTime();
        run("ip", "-n", ns, "-batch", ipFile.toString());
        run("bridge", "-n", ns, "-batch", bridgeFile.toString());
        return (System.nanoTime() - t) / 1e6;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    private static void verify(Handle h, int vxIndex, int n, String who) {
        long neigh = h.neighbours().list(vxIndex).stream().filter(Neighbour::isPermanent).count();
        long fdb = h.fdb().list(vxIndex).stream().filter(e -> e.dst() != null).count();
        if (neigh != n || fdb != n) {
            throw new IllegalStateException(who + " programmed " + neigh + " neighbours and " + fdb
                    + " fdb entries, expected " + n + " each");
        }
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] a) {
        return Arrays.stream(a).min().orElse(0);
    }

    private static double max(double[] a) {
        return Arrays.stream(a).max().orElse(0);
    }
}
