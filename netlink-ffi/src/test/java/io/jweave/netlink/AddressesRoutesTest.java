package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jweave.netlink.sys.Errno;
import io.jweave.netlink.sys.Sys;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Addresses and routes, observed through {@code ip -j addr} and {@code ip -j route}. */
class AddressesRoutesTest extends KernelTestBase {

    private List<String> ipAddrs(NetNs ns, String dev) {
        List<String> out = new ArrayList<>();
        for (JsonNode l : k.ip(ns, "addr", "show", "dev", dev)) {
            for (JsonNode a : l.path("addr_info")) {
                out.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt());
            }
        }
        return out;
    }

    @Test
    void addListDeleteIpv4AndIpv6() {
        NetNs ns = k.newNs("addr");
        Handle h = k.handle(ns);
        Link v = h.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1")));
        h.addresses().add("jv0", IpPrefix.parse("198.51.100.1/24"));
        h.addresses().add("jv0", IpPrefix.parse("203.0.113.7/25"));
        h.addresses().add("jv0", IpPrefix.parse("2001:db8:1::1/64"));

        List<String> seen = ipAddrs(ns, "jv0");
        assertTrue(seen.contains("198.51.100.1/24"), seen.toString());
        assertTrue(seen.contains("203.0.113.7/25"), seen.toString());
        assertTrue(seen.contains("2001:db8:1::1/64"), seen.toString());

        List<String> listed = h.addresses().list("jv0").stream().map(a -> a.prefix().toString()).toList();
        assertTrue(listed.contains("198.51.100.1/24"), listed.toString());
        assertTrue(listed.contains("203.0.113.7/25"), listed.toString());
        assertTrue(listed.contains("2001:db8:1:0:0:0:0:1/64"), listed.toString());
        assertTrue(h.addresses().list("jv0").stream().allMatch(a -> a.linkIndex() == v.index()));
        assertTrue(h.addresses().list(null).size() >= 3);

        var dup = assertThrows(NetlinkException.class, () -> h.addresses().add("jv0", IpPrefix.parse("198.51.100.1/24")));
        assertEquals(Errno.EEXIST, dup.errno());
        assertTrue(dup.getMessage().startsWith("add address 198.51.100.1/24 to link \"jv0\": File exists (EEXIST)"),
                dup.getMessage());

        h.addresses().delete("jv0", IpPrefix.parse("198.51.100.1/24"));
        h.addresses().delete("jv0", IpPrefix.parse("2001:db8:1::1/64"));
        seen = ipAddrs(ns, "jv0");
        assertEquals(List.of("203.0.113.7/25"), seen.stream().filter(s -> !s.startsWith("fe80")).toList());

        var missing = assertThrows(NetlinkException.class,
                () -> h.addresses().delete("jv0", IpPrefix.parse("198.51.100.1/24")));
        assertEquals(Errno.EADDRNOTAVAIL, missing.errno(), missing.getMessage());
    }

    private JsonNode ipRoute(NetNs ns, String dst) {
        JsonNode r = k.ip(ns, "route", "show", dst);
        return r.size() == 0 ? null : r.get(0);
    }

    @Test
    void connectedAndGatewayRoutes() throws Exception {
        NetNs ns = k.newNs("rt");
        NetNs peer = k.newNs("rtp");
        Handle h = k.handle(ns);
        Link v = h.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1", peer)));
        h.links().setUp("jv0");
        h.addresses().add("jv0", IpPrefix.parse("198.51.100.1/24"));

        Route connected = Route.connected(IpPrefix.parse("203.0.113.0/24"), v.index());
        h.routes().add(connected);
        JsonNode c = ipRoute(ns, "203.0.113.0/24");
        assertEquals("jv0", c.path("dev").asText());
        assertEquals("link", c.path("scope").asText());
        assertEquals("static", c.path("protocol").asText());
        assertTrue(c.path("gateway").isMissingNode());

        InetAddress gw = InetAddress.getByName("198.51.100.2");
        Route via = Route.via(IpPrefix.parse("100.64.5.0/24"), gw, 0);
        h.routes().add(via);
        JsonNode g = ipRoute(ns, "100.64.5.0/24");
        assertEquals("198.51.100.2", g.path("gateway").asText());
        assertEquals("jv0", g.path("dev").asText());

        Route dflt = Route.via(null, gw, v.index());
        h.routes().add(dflt);
        assertEquals("198.51.100.2", ipRoute(ns, "default").path("gateway").asText());

        List<Route> listed = h.routes().list(Sys.AF_INET);
        assertTrue(listed.contains(new Route(IpPrefix.parse("203.0.113.0/24"), null, v.index(), 0)), listed.toString());
        assertTrue(listed.contains(new Route(IpPrefix.parse("100.64.5.0/24"), gw, v.index(), 0)), listed.toString());
        assertTrue(listed.contains(new Route(null, gw, v.index(), 0)), listed.toString());
        // the kernel's own connected route for the address is listed too
        assertTrue(listed.contains(new Route(IpPrefix.parse("198.51.100.0/24"), null, v.index(), 0)
                .withPrefSrc(InetAddress.getByName("198.51.100.1"))), listed.toString());

        var dup = assertThrows(NetlinkException.class, () -> h.routes().add(via));
        assertEquals(Errno.EEXIST, dup.errno());
        assertTrue(dup.getMessage().startsWith("add route 100.64.5.0/24 via 198.51.100.2: File exists (EEXIST)"),
                dup.getMessage());

        h.routes().delete(connected);
        h.routes().delete(via);
        h.routes().delete(dflt);
        assertEquals(0, k.ip(ns, "route", "show", "203.0.113.0/24").size());
        assertEquals(0, k.ip(ns, "route", "show", "100.64.5.0/24").size());
        assertEquals(0, k.ip(ns, "route", "show", "default").size());

        var gone = assertThrows(NetlinkException.class, () -> h.routes().delete(via));
        assertEquals(Errno.ESRCH, gone.errno(), gone.getMessage());
        assertTrue(gone.isNotFound());
    }

    @Test
    void ipv6Route() throws Exception {
        NetNs ns = k.newNs("rt6");
        Handle h = k.handle(ns);
        Link v = h.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1")));
        h.links().setUp("jv0");
        h.links().setUp("jv1");
        Route r6 = Route.connected(IpPrefix.parse("2001:db8:5::/64"), v.index());
        h.routes().add(r6);
        JsonNode all = k.ip(ns, "-6", "route", "show", "2001:db8:5::/64");
        assertEquals(1, all.size(), all.toString());
        JsonNode o = all.get(0);
        assertEquals("jv0", o.path("dev").asText());
        List<Route> listed = h.routes().list(Sys.AF_INET6);
        // IPv6 routes get the kernel's default metric 1024 when none is given
        assertTrue(listed.contains(new Route(r6.destination(), null, v.index(), 1024)), listed.toString());
        h.routes().delete(r6);
        assertEquals(0, k.ip(ns, "-6", "route", "show", "2001:db8:5::/64").size());
    }
}
