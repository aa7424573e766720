package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/**
 * The datapath jweave builds, end to end, programmed only through netlink-ffi: two "hosts" joined
 * by a veth underlay (198.51.100.0/24), each with a bridge and a VXLAN device (VNI 42, static
 * entries only, ARP proxy), and a "container" namespace per host on the overlay (100.64.0.0/24).
 * Ping fails until the FDB entries are programmed, and works afterwards.
 */
class VxlanOverlayTest extends KernelTestBase {
    private static final int VNI = 42;
    private static final int MTU = 1450;

    /** One simulated host: its namespace, handle, and its container's namespace and MAC. */
    private record Side(NetNs host, Handle h, NetNs container, MacAddress containerMac, Link vxlan) {
    }

    private Side side(NetNs host, String underlayIp, String overlayIp, String mac) throws Exception {
        Handle h = k.handle(host);
        NetNs container = k.newNs("ctr");
        Handle hc = k.handle(container);
        h.links().setUp("jul0");
        h.addresses().add("jul0", IpPrefix.parse(underlayIp + "/24"));
        int ul = h.links().byName("jul0").orElseThrow().index();

        h.links().add(new LinkSpec("jbr42", new LinkType.Bridge()));
        Link vx = h.links().add(new LinkSpec("jvx42", LinkType.Vxlan.of(VNI).withPort(4789)
                .withLocal(InetAddress.getByName(underlayIp)).withLearning(false).withProxy(true).withUnderlay(ul))
                .withMtu(MTU).withMaster("jbr42"));
        // host end on the bridge, container end ("eth0") in the container namespace
        h.links().add(new LinkSpec("jveth0", new LinkType.Veth("eth0", container)).withMtu(MTU).withMaster("jbr42"));
        h.links().setUp("jbr42");
        h.links().setUp("jvx42");
        h.links().setUp("jveth0");

        MacAddress cmac = MacAddress.parse(mac);
        hc.links().setMac("eth0", cmac);
        hc.addresses().add("eth0", IpPrefix.parse(overlayIp + "/24"));
        hc.links().setUp("lo");
        hc.links().setUp("eth0");
        return new Side(host, h, container, cmac, vx);
    }

    private boolean ping(NetNs from, String to, String... opts) {
        String[] cmd = new String[3 + opts.length];
        cmd[0] = "ping";
        System.arraycopy(opts, 0, cmd, 1, opts.length);
        cmd[cmd.length - 2] = "-n";
        cmd[cmd.length - 1] = to;
        return k.exec(from, cmd).exit() == 0;
    }

    @Test
    void twoHostsPingOverVxlanOnlyOnceFdbIsProgrammed() throws Exception {
        if (!Kernel.onPath("ping")) {
            throw new AssertionError("this test needs ping (apt-get install iputils-ping)");
        }
        NetNs hostA = k.newNs("hA");
        NetNs hostB = k.newNs("hB");
        // the underlay: one veth between the two hosts
        k.handle(hostA).links().add(new LinkSpec("jul0", new LinkType.Veth("jul0", hostB)));

        Side a = side(hostA, "198.51.100.1", "100.64.0.1", "02:64:00:00:00:01");
        Side b = side(hostB, "198.51.100.2", "100.64.0.2", "02:64:00:00:00:02");

        assertTrue(ping(hostA, "198.51.100.2", "-c", "1", "-W", "2"), "underlay does not work");

        // MTU as configured on vxlan and both veth ends
        for (Side s : new Side[] {a, b}) {
            assertEquals(MTU, k.link(s.host(), "jvx42").path("mtu").asInt());
            assertEquals(MTU, k.link(s.host(), "jveth0").path("mtu").asInt());
            assertEquals(MTU, k.link(s.container(), "eth0").path("mtu").asInt());
            assertEquals("jbr42", k.link(s.host(), "jvx42").path("master").asText());
        }

        // Neighbours only (the ARP proxy answers), no FDB: unicast has nowhere to go.
        a.h().neighbours().add(Neighbour.permanent(a.vxlan().index(), InetAddress.getByName("100.64.0.2"), b.containerMac()));
        b.h().neighbours().add(Neighbour.permanent(b.vxlan().index(), InetAddress.getByName("100.64.0.1"), a.containerMac()));
        assertNotEquals(true, ping(a.container(), "100.64.0.2", "-c", "1", "-W", "1"),
                "ping works without FDB entries: the test proves nothing");

        // The remote MACs → remote VTEPs, self permanent.
        a.h().fdb().add(FdbEntry.vxlan(a.vxlan().index(), b.containerMac(), InetAddress.getByName("198.51.100.2")));
        b.h().fdb().add(FdbEntry.vxlan(b.vxlan().index(), a.containerMac(), InetAddress.getByName("198.51.100.1")));

        Kernel.Result r = k.exec(a.container(), "ping", "-c", "3", "-W", "2", "100.64.0.2");
        assertEquals(0, r.exit(), "ping over the overlay failed:\n" + r.out() + r.err());
        assertTrue(r.out().contains("3 received"), r.out());
        // and back
        assertTrue(ping(b.container(), "100.64.0.1", "-c", "1", "-W", "2"));

        // The container learnt the remote MAC from the proxy's answer.
        String lladdr = k.ip(a.container(), "neigh", "show", "100.64.0.2").get(0).path("lladdr").asText();
        assertEquals("02:64:00:00:00:02", lladdr);

        // Take the FDB entry away again: traffic stops.
        a.h().fdb().delete(FdbEntry.vxlan(a.vxlan().index(), b.containerMac(), InetAddress.getByName("198.51.100.2")));
        assertNotEquals(true, ping(a.container(), "100.64.0.2", "-c", "1", "-W", "1"));
    }
}
