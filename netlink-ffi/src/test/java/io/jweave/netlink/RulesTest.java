package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jweave.netlink.sys.Errno;
import io.jweave.netlink.sys.Sys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Policy routing rules and routes in other tables, observed through {@code ip -j rule} and
 * {@code ip -j route}, and on the datapath: what a rule matching {@code ipproto udp dport 4789}
 * does to a socket's datagrams and to the kernel VXLAN device's own encapsulated traffic.
 */
class RulesTest extends KernelTestBase {
    private static final int TABLE = 27255;

    private static Rule vxlanRule() {
        return Rule.lookup(Sys.AF_INET, 100, TABLE).withIpProto(Rule.IPPROTO_UDP).withDport(PortRange.of(4789));
    }

    private JsonNode ipRule(NetNs ns, int pref) {
        for (JsonNode r : k.ip(ns, "rule", "show")) {
            if (r.path("priority").asInt() == pref) {
                return r;
            }
        }
        return null;
    }

    @Test
    void addListDeleteMatchIpRule() {
        NetNs ns = k.newNs("rule");
        Handle h = k.handle(ns);
        Rule udp = vxlanRule();
        Rule meshIn = Rule.lookup(Sys.AF_INET, 101, TABLE).withIpProto(Rule.IPPROTO_TCP).withDport(PortRange.of(6783));
        Rule meshOut = Rule.lookup(Sys.AF_INET, 102, TABLE).withIpProto(Rule.IPPROTO_TCP)
                .withSport(new PortRange(6783, 6790)).withIifName("lo").withFwmark(0x10);
        Rule small = Rule.lookup(Sys.AF_INET, 103, 42);
        Rule v6 = Rule.lookup(Sys.AF_INET6, 100, TABLE).withIpProto(Rule.IPPROTO_UDP).withDport(PortRange.of(4789));
        for (Rule r : List.of(udp, meshIn, meshOut, small, v6)) {
            h.rules().add(r);
        }

        JsonNode j = ipRule(ns, 100);
        assertEquals("udp", j.path("ipproto").asText(), j.toString());
        assertEquals(4789, j.path("dport").asInt(), j.toString());
        assertEquals("27255", j.path("table").asText(), "a table id above 255 survives");
        j = ipRule(ns, 101);
        assertEquals("tcp", j.path("ipproto").asText());
        assertEquals(6783, j.path("dport").asInt());
        j = ipRule(ns, 102);
        assertEquals(6783, j.path("sport_start").asInt(), j.toString());
        assertEquals(6790, j.path("sport_end").asInt(), j.toString());
        assertEquals("lo", j.path("iif").asText());
        assertEquals("0x10", j.path("fwmark").asText());
        assertEquals("42", ipRule(ns, 103).path("table").asText());
        JsonNode six = k.ip(ns, "-6", "rule", "show");
        assertTrue(six.toString().contains("\"dport\":4789"), six.toString());

        List<Rule> listed = h.rules().list(Sys.AF_INET);
        // the kernel reads back what was asked, fwmark with its implied full mask included
        assertEquals(List.of(Rule.lookup(Sys.AF_INET, 0, 255), udp, meshIn, meshOut, small,
                Rule.lookup(Sys.AF_INET, 32766, 254), Rule.lookup(Sys.AF_INET, 32767, 253)), listed);
        assertTrue(h.rules().list(Sys.AF_INET6).contains(v6));

        var dup = assertThrows(NetlinkException.class, () -> h.rules().add(udp));
        assertTrue(dup.isExists());
        assertEquals("add rule pref 100 ipproto udp dport 4789 lookup 27255: File exists (EEXIST)", dup.getMessage());
        assertFalse(h.rules().addIfAbsent(udp));
        assertEquals(1, k.ip(ns, "rule", "show").findValues("dport").stream().filter(n -> n.asInt() == 4789).count());

        h.rules().delete(udp);
        assertNull(ipRule(ns, 100));
        var gone = assertThrows(NetlinkException.class, () -> h.rules().delete(udp));
        assertEquals(Errno.ENOENT, gone.errno(), gone.getMessage());
        assertFalse(h.rules().deleteIfExists(udp));
        assertTrue(h.rules().addIfAbsent(udp));
        assertTrue(h.rules().deleteIfExists(udp));
        assertFalse(h.rules().list(Sys.AF_INET).contains(udp));
    }

    @Test
    void routesInATableOfTheirOwn() throws Exception {
        NetNs ns = k.newNs("rtt");
        Handle h = k.handle(ns);
        Link v = h.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1")));
        h.links().setUp("jv0");
        h.links().setUp("jv1");
        h.addresses().add("jv0", IpPrefix.parse("198.51.100.1/24"));
        InetAddress src = InetAddress.getByName("198.51.100.1");

        Route viaLink = Route.connected(null, v.index()).withFamily(Sys.AF_INET).inTable(TABLE).withPrefSrc(src);
        Route fallback = Route.blackhole(IpPrefix.parse("0.0.0.0/0")).inTable(TABLE).withPriority(1000);
        Route unreachable = Route.unreachable(IpPrefix.parse("203.0.113.0/24")).inTable(TABLE);
        h.routes().add(viaLink);
        h.routes().add(fallback);
        h.routes().add(unreachable);

        JsonNode t = k.ip(ns, "route", "show", "table", Integer.toString(TABLE));
        List<String> seen = new ArrayList<>();
        t.forEach(r -> seen.add(r.path("type").asText("unicast") + " " + r.path("dst").asText() + " "
                + r.path("dev").asText("-") + " " + r.path("prefsrc").asText("-") + " " + r.path("metric").asInt(0)));
        assertEquals(List.of("unicast default jv0 198.51.100.1 0", "blackhole default - - 1000",
                "unreachable 203.0.113.0/24 - - 0"), seen, t.toString());
        assertEquals(0, k.ip(ns, "route", "show", "default").size(), "nothing leaked into the main table");

        List<Route> listed = h.routes().list(Sys.AF_INET, TABLE);
        assertEquals(List.of(viaLink, fallback, unreachable), listed);
        assertFalse(h.routes().list(Sys.AF_INET).stream().anyMatch(r -> r.table() == TABLE));

        var dup = assertThrows(NetlinkException.class, () -> h.routes().add(fallback));
        assertTrue(dup.isExists());
        assertEquals("add route blackhole default table 27255 metric 1000: File exists (EEXIST)", dup.getMessage());

        Route v6 = Route.blackhole(IpPrefix.parse("2001:db8:5::/64")).inTable(TABLE);
        h.routes().add(v6);
        assertEquals(List.of(v6.withPriority(1024)), h.routes().list(Sys.AF_INET6, TABLE),
                "an IPv6 blackhole reads back without the lo the kernel reports it on");
        h.routes().delete(v6);

        h.routes().delete(viaLink);
        assertEquals(List.of(fallback, unreachable), h.routes().list(Sys.AF_INET, TABLE));
        assertTrue(h.routes().deleteIfExists(fallback));
        assertFalse(h.routes().deleteIfExists(fallback));
        h.routes().delete(unreachable);
        assertEquals(0, k.ip(ns, "route", "show", "table", Integer.toString(TABLE)).size());
    }

    /** Sends one datagram from inside {@code ns}; returns null on success or the error's message. */
    private static String send(NetNs ns, String to, int port) {
        return ns.call(() -> {
            try (DatagramChannel ch = DatagramChannel.open(java.net.StandardProtocolFamily.INET)) {
                ch.send(ByteBuffer.wrap("hello".getBytes()), new InetSocketAddress(InetAddress.getByName(to), port));
                return null;
            } catch (java.io.IOException e) {
                return String.valueOf(e.getMessage());
            }
        });
    }

    /** A UDP socket bound inside {@code ns}, closed with the fixture. */
    private DatagramChannel listen(NetNs ns, int port) {
        return k.track(ns.call(() -> {
            DatagramChannel ch = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
            ch.bind(new InetSocketAddress(port));
            ch.socket().setSoTimeout(1500);
            return ch;
        }));
    }

    /** Whether a datagram arrives on {@code ch} within its timeout. */
    private static boolean received(DatagramChannel ch) throws Exception {
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[2048], 2048);
        try {
            ch.socket().receive(p);
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private static void drain(DatagramChannel ch) throws Exception {
        ch.configureBlocking(false);
        while (ch.receive(ByteBuffer.allocate(2048)) != null) {
            // stale datagrams from an earlier step
        }
        ch.configureBlocking(true);
    }

    /** Two namespaces joined by a veth "underlay" named jul0 on both sides, 198.51.100.1 and .2. */
    private NetNs[] underlay() {
        NetNs a = k.newNs("ulA");
        NetNs b = k.newNs("ulB");
        Handle ha = k.handle(a);
        Handle hb = k.handle(b);
        ha.links().add(new LinkSpec("jul0", new LinkType.Veth("jul0", b)));
        ha.links().setUp("jul0");
        hb.links().setUp("jul0");
        ha.links().setUp("lo");
        hb.links().setUp("lo");
        ha.addresses().add("jul0", IpPrefix.parse("198.51.100.1/24"));
        hb.addresses().add("jul0", IpPrefix.parse("198.51.100.2/24"));
        return new NetNs[] {a, b};
    }

    @Test
    void aDport4789RuleSendsSocketTrafficToItsTable() throws Exception {
        NetNs[] ab = underlay();
        NetNs a = ab[0];
        Handle h = k.handle(a);
        DatagramChannel rx4789 = listen(ab[1], 4789);
        DatagramChannel rx4790 = listen(ab[1], 4790);
        assertNull(send(a, "198.51.100.2", 4789));
        assertTrue(received(rx4789), "underlay does not work");

        h.routes().add(Route.blackhole(IpPrefix.parse("0.0.0.0/0")).inTable(TABLE));
        h.rules().add(vxlanRule());
        String err = send(a, "198.51.100.2", 4789);
        assertTrue(err != null && err.contains("Invalid argument"), "send to dport 4789 through a blackhole: " + err);
        assertNull(send(a, "198.51.100.2", 4790), "another port is not matched by the rule");
        assertTrue(received(rx4790));

        h.rules().delete(vxlanRule());
        assertNull(send(a, "198.51.100.2", 4789));
        assertTrue(received(rx4789));
    }

    private static long txErrors(Kernel k, NetNs ns, String dev) {
        JsonNode s = k.ip(ns, "-s", "link", "show", "dev", dev).get(0).path("stats64").path("tx");
        return s.path("errors").asLong();
    }

    /**
     * The fact the encrypted datapath rests on: the kernel VXLAN device's own encapsulated packets
     * (UDP to dport 4789 from the VXLAN socket) are routed through the policy rules like a socket's
     * traffic. With {@code ipproto udp dport 4789 lookup 27255} and a blackhole default in 27255,
     * nothing crosses the underlay (the device counts a TX error); with a route in 27255 to the
     * underlay it crosses again; without the rule it crosses.
     */
    @Test
    void theVxlanDevicesOwnTrafficFollowsADport4789Rule() throws Exception {
        NetNs[] ab = underlay();
        NetNs a = ab[0];
        NetNs b = ab[1];
        Handle ha = k.handle(a);
        Handle hb = k.handle(b);
        int ulA = ha.links().byName("jul0").orElseThrow().index();
        int ulB = hb.links().byName("jul0").orElseThrow().index();
        MacAddress macA = MacAddress.parse("02:64:00:00:00:01");
        MacAddress macB = MacAddress.parse("02:64:00:00:00:02");
        Link vxA = ha.links().add(new LinkSpec("jvx42", LinkType.Vxlan.of(42).withPort(4789)
                .withLocal(InetAddress.getByName("198.51.100.1")).withUnderlay(ulA)).withMtu(1450));
        hb.links().add(new LinkSpec("jvx42", LinkType.Vxlan.of(42).withPort(4789)
                .withLocal(InetAddress.getByName("198.51.100.2")).withUnderlay(ulB)).withMtu(1450));
        ha.links().setMac("jvx42", macA);
        hb.links().setMac("jvx42", macB);
        ha.links().setUp("jvx42");
        hb.links().setUp("jvx42");
        ha.addresses().add("jvx42", IpPrefix.parse("100.64.0.1/24"));
        hb.addresses().add("jvx42", IpPrefix.parse("100.64.0.2/24"));
        ha.neighbours().add(Neighbour.permanent(vxA.index(), InetAddress.getByName("100.64.0.2"), macB));
        ha.fdb().add(FdbEntry.vxlan(vxA.index(), macB, InetAddress.getByName("198.51.100.2")));
        DatagramChannel rx = listen(b, 9999);

        assertNull(send(a, "100.64.0.2", 9999));
        assertTrue(received(rx), "the overlay does not work without the rule: the test proves nothing");

        ha.routes().add(Route.blackhole(IpPrefix.parse("0.0.0.0/0")).inTable(TABLE));
        ha.rules().add(vxlanRule());
        long errorsBefore = txErrors(k, a, "jvx42");
        for (int i = 0; i < 3; i++) {
            assertNull(send(a, "100.64.0.2", 9999), "the inner send itself is not affected");
        }
        assertFalse(received(rx), "VXLAN-encapsulated traffic bypassed the policy rule");
        long errors = txErrors(k, a, "jvx42") - errorsBefore;
        // each of ours, plus any IPv6 housekeeping the device sends meanwhile
        assertTrue(errors >= 3, "the VXLAN device counts each packet it could not route: " + errors);

        // the table, not the rule's mere presence, decides: a route to the underlay in 27255 restores delivery
        ha.routes().add(Route.connected(IpPrefix.parse("198.51.100.2/32"), ulA).inTable(TABLE));
        drain(rx);
        assertNull(send(a, "100.64.0.2", 9999));
        assertTrue(received(rx), "VXLAN traffic did not follow the route of table 27255");

        ha.routes().delete(Route.connected(IpPrefix.parse("198.51.100.2/32"), ulA).inTable(TABLE));
        ha.rules().delete(vxlanRule());
        drain(rx);
        assertNull(send(a, "100.64.0.2", 9999));
        assertTrue(received(rx), "delivery did not come back once the rule was gone");
    }
}
