package io.jweave.router.cli;

import io.jweave.netlink.FdbEntry;
import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.Link;
import io.jweave.netlink.LinkSpec;
import io.jweave.netlink.LinkType;
import io.jweave.netlink.MacAddress;
import io.jweave.netlink.NetNs;
import io.jweave.netlink.Neighbour;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code jweave selfcheck}: proves that this host can run jweave's datapath. In a throwaway network
 * namespace it builds what a router builds for one network (bridge, VXLAN device, veth pair,
 * static FDB and neighbour entries), reads it back from the kernel, and removes it all.
 */
@Command(name = "selfcheck", description = "Check that this host's kernel can run the jweave datapath "
        + "(in a throwaway network namespace; needs root).")
public final class SelfCheckCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        String ns = "jweave-selfcheck-" + ProcessHandle.current().pid();
        long t0 = System.nanoTime();
        System.out.println("jweave selfcheck: building a one-network datapath in namespace " + ns);
        try (NetNs netns = NetNs.create(ns); Handle h = Handle.open(netns)) {
            step("underlay veth ul0/ul1 with 203.0.113.1/24", () -> {
                h.links().add(new LinkSpec("ul0", new LinkType.Veth("ul1")));
                h.addresses().add("ul0", IpPrefix.parse("203.0.113.1/24"));
                h.links().setUp("ul0");
                h.links().setUp("ul1");
            });
            step("bridge jwb-4242 (mtu 1450)", () -> {
                h.links().add(new LinkSpec("jwb-4242", new LinkType.Bridge()).withMtu(1450));
                h.links().setUp("jwb-4242");
            });
            int ul = h.links().byName("ul0").orElseThrow().index();
            step("vxlan jwx-4242 (vni 4242, dstport 4789, local 203.0.113.1, nolearning, proxy) on the bridge", () -> {
                LinkType.Vxlan vx = LinkType.Vxlan.of(4242).withLocal(InetAddress.getByName("203.0.113.1"))
                        .withProxy(true).withUnderlay(ul);
                h.links().add(new LinkSpec("jwx-4242", vx).withMtu(1450).withMaster("jwb-4242"));
                h.links().setUp("jwx-4242");
            });
            step("veth pair jwv-1/jwc-1 with the host end on the bridge", () -> {
                h.links().add(new LinkSpec("jwv-1", new LinkType.Veth("jwc-1")).withMtu(1450).withMaster("jwb-4242"));
                h.links().setUp("jwv-1");
            });
            Link vx = h.links().byName("jwx-4242").orElseThrow();
            MacAddress remoteMac = MacAddress.parse("02:42:64:40:00:02");
            InetAddress remoteIp = InetAddress.getByName("100.64.0.2");
            InetAddress vtep = InetAddress.getByName("203.0.113.2");
            step("static FDB 02:42:64:40:00:02 -> 203.0.113.2 and neighbour 100.64.0.2 on the vxlan", () -> {
                h.fdb().replace(FdbEntry.vxlan(vx.index(), remoteMac, vtep));
                h.neighbours().replace(Neighbour.permanent(vx.index(), remoteIp, remoteMac));
            });
            step("read everything back from the kernel", () -> {
                List<Link> links = h.links().list();
                Link readVx = find(links, "jwx-4242");
                if (!(readVx.type() instanceof LinkType.Vxlan v) || v.vni() != 4242 || v.port() != 4789
                        || v.learning() || !v.proxy()) {
                    throw new IllegalStateException("vxlan reads back as " + readVx.type());
                }
                int bridge = find(links, "jwb-4242").index();
                if (readVx.masterIndex() != bridge || find(links, "jwv-1").masterIndex() != bridge) {
                    throw new IllegalStateException("bridge ports are not enslaved");
                }
                if (readVx.mtu() != 1450) {
                    throw new IllegalStateException("vxlan MTU is " + readVx.mtu());
                }
                boolean fdb = h.fdb().list(vx.index()).stream()
                        .anyMatch(e -> e.mac().equals(remoteMac) && vtep.equals(e.dst()));
                boolean neigh = h.neighbours().list(vx.index()).stream()
                        .anyMatch(n -> n.ip().equals(remoteIp) && remoteMac.equals(n.mac()) && n.isPermanent());
                if (!fdb || !neigh) {
                    throw new IllegalStateException("fdb entry present: " + fdb + ", neighbour present: " + neigh);
                }
            });
            step("remove the links", () -> {
                h.links().delete("jwv-1");
                h.links().delete("jwx-4242");
                h.links().delete("jwb-4242");
                h.links().delete("ul0");
            });
        } finally {
            if (NetNs.exists(ns)) {
                NetNs.delete(ns);
            }
        }
        System.out.printf("jweave selfcheck: OK (%.0f ms); namespace %s removed%n", (System.nanoTime() - t0) / 1e6, ns);
        return 0;
    }

    private static Link find(List<Link> links, String name) {
        return links.stream().filter(l -> name.equals(l.name())).findFirst()
                .orElseThrow(() -> new IllegalStateException("link " + name + " is missing"));
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private static void step(String what, Step s) throws Exception {
        System.out.print("  " + what + " ... ");
        System.out.flush();
        try {
            s.run();
        } catch (Exception e) {
            System.out.println("FAILED");
            throw e;
        }
        System.out.println("ok");
    }
}
