package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Links against the real kernel, observed through {@code ip -j -d link show}. */
class LinksTest extends KernelTestBase {

    @Test
    void bridgeCreateUpDownMtuMacDelete() {
        NetNs ns = k.newNs("lnk");
        Handle h = k.handle(ns);
        MacAddress mac = MacAddress.parse("02:11:22:33:44:55");
        Link br = h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()).withMtu(1400).withMac(mac));
        assertEquals("jbr0", br.name());
        assertInstanceOf(LinkType.Bridge.class, br.type());

        JsonNode o = k.link(ns, "jbr0");
        assertNotNull(o, "ip does not see the bridge");
        assertEquals("bridge", o.path("linkinfo").path("info_kind").asText());
        assertEquals(1400, o.path("mtu").asInt());
        assertEquals("02:11:22:33:44:55", o.path("address").asText());
        assertEquals(br.index(), o.path("ifindex").asInt());
        assertFalse(Kernel.hasFlag(o, "UP"));

        h.links().setUp("jbr0");
        assertTrue(Kernel.hasFlag(k.link(ns, "jbr0"), "UP"));
        assertTrue(h.links().byName("jbr0").orElseThrow().isUp());
        h.links().setDown("jbr0");
        assertFalse(Kernel.hasFlag(k.link(ns, "jbr0"), "UP"));

        h.links().setMtu("jbr0", 1300);
        assertEquals(1300, k.link(ns, "jbr0").path("mtu").asInt());
        h.links().setMac("jbr0", MacAddress.parse("02:aa:bb:cc:dd:ee"));
        assertEquals("02:aa:bb:cc:dd:ee", k.link(ns, "jbr0").path("address").asText());
        assertEquals(MacAddress.parse("02:aa:bb:cc:dd:ee"), h.links().byName("jbr0").orElseThrow().mac());

        h.links().delete("jbr0");
        assertNull(k.link(ns, "jbr0"));
        assertFalse(h.links().deleteIfExists("jbr0"));
    }

    @Test
    void vethPairWithPeerInAnotherNamespace() {
        NetNs a = k.newNs("vea");
        NetNs b = k.newNs("veb");
        Handle ha = k.handle(a);
        Handle hb = k.handle(b);
        Link v = ha.links().add(new LinkSpec("jva", new LinkType.Veth("jvb", b)).withMtu(1450));
        assertInstanceOf(LinkType.Veth.class, v.type());

        JsonNode oa = k.link(a, "jva");
        JsonNode ob = k.link(b, "jvb");
        assertNotNull(oa);
        assertNotNull(ob, "peer not created in the other namespace");
        assertNull(k.link(a, "jvb"), "peer must not be in the first namespace");
        assertEquals("veth", oa.path("linkinfo").path("info_kind").asText());
        assertEquals("veth", ob.path("linkinfo").path("info_kind").asText());
        assertEquals(1450, oa.path("mtu").asInt());
        assertEquals(1450, ob.path("mtu").asInt());
        // IFLA_LINK of one end is the peer's index (in the peer's namespace).
        assertEquals(ob.path("ifindex").asInt(), v.parentIndex());
        assertEquals(v.index(), hb.links().byName("jvb").orElseThrow().parentIndex());

        ha.links().delete("jva");
        assertNull(k.link(a, "jva"));
        assertNull(k.link(b, "jvb"), "deleting one end of a veth removes the other");
    }

    @Test
    void vxlanWithAllAttributesAndDump() throws Exception {
        NetNs ns = k.newNs("vx");
        Handle h = k.handle(ns);
        h.links().add(new LinkSpec("jul0", new LinkType.Veth("jul1")));
        h.addresses().add("jul0", IpPrefix.parse("198.51.100.1/24"));
        int ul = h.links().byName("jul0").orElseThrow().index();

        InetAddress local = InetAddress.getByName("198.51.100.1");
        LinkType.Vxlan spec = LinkType.Vxlan.of(42).withLocal(local).withPort(4789).withLearning(false)
                .withProxy(true).withMisses(true, true).withTtl(64).withUnderlay(ul);
        Link vx = h.links().add(new LinkSpec("jvx42", spec).withMtu(1450));
        assertEquals(spec, vx.type(), "read back differs from what was created");

        JsonNode o = k.link(ns, "jvx42");
        JsonNode d = o.path("linkinfo").path("info_data");
        assertEquals("vxlan", o.path("linkinfo").path("info_kind").asText());
        assertEquals(42, d.path("id").asInt());
        assertEquals("198.51.100.1", d.path("local").asText());
        assertEquals(4789, d.path("port").asInt());
        assertFalse(d.path("learning").asBoolean(true));
        assertTrue(d.path("proxy").asBoolean());
        assertTrue(d.path("l2miss").asBoolean());
        assertTrue(d.path("l3miss").asBoolean());
        assertEquals(64, d.path("ttl").asInt());
        assertEquals("jul0", d.path("link").asText());
        assertEquals(1450, o.path("mtu").asInt());

        // A second VXLAN, defaults only: learning off, port 4789, no misses.
        h.links().add(new LinkSpec("jvx43", LinkType.Vxlan.of(43)));
        JsonNode d43 = k.link(ns, "jvx43").path("linkinfo").path("info_data");
        assertEquals(43, d43.path("id").asInt());
        assertEquals(4789, d43.path("port").asInt());
        assertFalse(d43.path("learning").asBoolean(true));
        assertTrue(d43.path("proxy").isMissingNode(), "ip prints proxy only when on");
        assertNull(((LinkType.Vxlan) h.links().byName("jvx43").orElseThrow().type()).sourcePorts(),
                "no source-port range set: the kernel's default");

        // A pinned source port (what the router's heartbeat device uses so that a rule can match it).
        LinkType.Vxlan pinned = LinkType.Vxlan.of(44).withLocal(local).withSourcePorts(new PortRange(4789, 4790));
        assertEquals(new PortRange(4789, 4790),
                ((LinkType.Vxlan) h.links().add(new LinkSpec("jvx44", pinned)).type()).sourcePorts());
        JsonNode range = k.link(ns, "jvx44").path("linkinfo").path("info_data").path("port_range");
        assertEquals(4789, range.path("low").asInt(), "ip -d link: " + range);
        assertEquals(4790, range.path("high").asInt(), "ip -d link: " + range);

        h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        Map<String, Link> dump = h.links().list().stream().collect(Collectors.toMap(Link::name, l -> l));
        assertEquals(Kernel.onPath("ip") ? k.linkNames(ns).stream().sorted().toList() : List.of(),
                dump.keySet().stream().sorted().toList(), "dump and ip disagree on the links");
        assertEquals("", dump.get("lo").kind());
        assertEquals("bridge", dump.get("jbr0").kind());
        assertEquals("veth", dump.get("jul0").kind());
        assertEquals(spec, dump.get("jvx42").type());
        assertEquals(43, ((LinkType.Vxlan) dump.get("jvx43").type()).vni());
        assertEquals(k.link(ns, "jvx42").path("ifindex").asInt(), dump.get("jvx42").index());
    }

    @Test
    void tapCreatedWithMtuAndMaster() {
        NetNs ns = k.newNs("tap");
        Handle h = k.handle(ns);
        h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        Link tap = h.links().add(new LinkSpec("jtap0", new LinkType.Tap()).withMtu(1400).withMaster("jbr0"));
        assertEquals("tun", tap.kind());
        JsonNode o = k.link(ns, "jtap0");
        assertNotNull(o);
        assertEquals("tun", o.path("linkinfo").path("info_kind").asText());
        assertEquals("tap", o.path("linkinfo").path("info_data").path("type").asText());
        assertEquals(1400, o.path("mtu").asInt());
        assertEquals("jbr0", o.path("master").asText());
        h.links().delete("jtap0");
        assertNull(k.link(ns, "jtap0"));
    }

    @Test
    void renameAndMasterNomaster() {
        NetNs ns = k.newNs("ren");
        Handle h = k.handle(ns);
        h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        Link port = h.links().add(new LinkSpec("jp0", new LinkType.Veth("jp1")));

        h.links().setMaster("jp0", "jbr0");
        assertEquals("jbr0", k.link(ns, "jp0").path("master").asText());
        assertEquals(h.links().byName("jbr0").orElseThrow().index(), h.links().byName("jp0").orElseThrow().masterIndex());
        h.links().setNoMaster("jp0");
        assertTrue(k.link(ns, "jp0").path("master").isMissingNode());
        assertEquals(0, h.links().byName("jp0").orElseThrow().masterIndex());

        h.links().rename("jp0", "jport0");
        assertNull(k.link(ns, "jp0"));
        assertEquals(port.index(), k.link(ns, "jport0").path("ifindex").asInt());
        assertTrue(h.links().byName("jp0").isEmpty());
        assertEquals(port.index(), h.links().byName("jport0").orElseThrow().index());

        // A link created with a master is enslaved from the start.
        h.links().add(new LinkSpec("jq0", new LinkType.Veth("jq1")).withMaster("jbr0"));
        assertEquals("jbr0", k.link(ns, "jq0").path("master").asText());
    }

    @Test
    void getByNameAndByIndex() {
        NetNs ns = k.newNs("get");
        Handle h = k.handle(ns);
        Link br = h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        int ipIndex = k.link(ns, "jbr0").path("ifindex").asInt();
        assertEquals(ipIndex, h.links().byName("jbr0").orElseThrow().index());
        Link byIdx = h.links().byIndex(ipIndex).orElseThrow();
        assertEquals("jbr0", byIdx.name());
        assertEquals(br, byIdx);
        assertTrue(h.links().byName("jnothere").isEmpty());
        assertTrue(h.links().byIndex(987654).isEmpty());
        assertEquals("lo", h.links().byIndex(1).orElseThrow().name());
    }

    @Test
    void moveToAnotherNamespaceByFd() {
        NetNs a = k.newNs("mva");
        NetNs b = k.newNs("mvb");
        Handle ha = k.handle(a);
        Handle hb = k.handle(b);
        ha.links().add(new LinkSpec("jm0", new LinkType.Veth("jm1")));
        ha.links().moveTo("jm1", b);
        assertNull(k.link(a, "jm1"));
        assertNotNull(k.link(b, "jm1"), "link not in the target namespace");
        assertTrue(ha.links().byName("jm1").isEmpty());
        assertTrue(hb.links().byName("jm1").isPresent());
    }

    @Test
    void moveToAnotherNamespaceByPid() throws Exception {
        NetNs a = k.newNs("pia");
        NetNs b = k.newNs("pib");
        Handle ha = k.handle(a);
        Process sleeper = k.spawn(b, "sleep", "300");
        long target = Kernel.inode(b.path());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Kernel.nsInodeOf("/proc/" + sleeper.pid() + "/ns/net") != target) {
            if (System.nanoTime() > deadline || !sleeper.isAlive()) {
                throw new AssertionError("`ip netns exec " + k.name(b) + " sleep` never entered the namespace");
            }
            Thread.sleep(20);
        }
        ha.links().add(new LinkSpec("jm0", new LinkType.Veth("jm1")));
        ha.links().moveToPid("jm1", (int) sleeper.pid());
        assertNull(k.link(a, "jm1"));
        assertNotNull(k.link(b, "jm1"), "link not in the namespace of pid " + sleeper.pid());
    }
}
