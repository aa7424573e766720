package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jweave.netlink.nl.Rtnl;
import io.jweave.netlink.sys.Errno;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Neighbour (ARP/NDP) and bridge FDB entries, observed through {@code ip -j neigh} and {@code bridge -j fdb}. */
class NeighboursFdbTest extends KernelTestBase {

    private JsonNode neigh(NetNs ns, String dev, String ip) {
        for (JsonNode n : k.ip(ns, "neigh", "show", "dev", dev)) {
            if (n.path("dst").asText().equals(ip)) {
                return n;
            }
        }
        return null;
    }

    private JsonNode fdb(NetNs ns, String dev, String mac) {
        for (JsonNode e : k.bridge(ns, "fdb", "show", "dev", dev)) {
            if (e.path("mac").asText().equals(mac)) {
                return e;
            }
        }
        return null;
    }

    @Test
    void permanentNeighboursAddReplaceDeleteList() throws Exception {
        NetNs ns = k.newNs("nb");
        Handle h = k.handle(ns);
        Link v = h.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1")));
        InetAddress ip = InetAddress.getByName("100.64.0.10");
        InetAddress ip6 = InetAddress.getByName("2001:db8::10");
        MacAddress m1 = MacAddress.parse("02:00:00:00:00:10");
        MacAddress m2 = MacAddress.parse("02:00:00:00:00:20");

        h.neighbours().add(Neighbour.permanent(v.index(), ip, m1));
        h.neighbours().add(Neighbour.permanent(v.index(), ip6, m1));
        JsonNode o = neigh(ns, "jv0", "100.64.0.10");
        assertEquals("02:00:00:00:00:10", o.path("lladdr").asText());
        assertEquals("PERMANENT", o.path("state").get(0).asText());
        assertEquals("02:00:00:00:00:10", neigh(ns, "jv0", "2001:db8::10").path("lladdr").asText());

        var dup = assertThrows(NetlinkException.class, () -> h.neighbours().add(Neighbour.permanent(v.index(), ip, m2)));
        assertEquals(Errno.EEXIST, dup.errno());
        assertTrue(dup.getMessage().startsWith("add neighbour 100.64.0.10 lladdr 02:00:00:00:00:20 on link #"
                + v.index() + ": File exists (EEXIST)"), dup.getMessage());

        h.neighbours().replace(Neighbour.permanent(v.index(), ip, m2));
        assertEquals("02:00:00:00:00:20", neigh(ns, "jv0", "100.64.0.10").path("lladdr").asText());

        List<Neighbour> listed = h.neighbours().list(v.index());
        assertTrue(listed.contains(new Neighbour(v.index(), ip, m2, Rtnl.NUD_PERMANENT, 0)), listed.toString());
        assertTrue(listed.stream().anyMatch(n -> n.ip().equals(ip6) && n.isPermanent()), listed.toString());
        assertTrue(h.neighbours().list(0).containsAll(listed));

        h.neighbours().delete(Neighbour.permanent(v.index(), ip, m2));
        h.neighbours().delete(Neighbour.permanent(v.index(), ip6, m1));
        assertNull(neigh(ns, "jv0", "100.64.0.10"));
        assertNull(neigh(ns, "jv0", "2001:db8::10"));
        var gone = assertThrows(NetlinkException.class, () -> h.neighbours().delete(Neighbour.permanent(v.index(), ip, m2)));
        assertEquals(Errno.ENOENT, gone.errno(), gone.getMessage());
    }

    @Test
    void vxlanFdbSelfPermanentAddReplaceDeleteList() throws Exception {
        NetNs ns = k.newNs("fdb");
        Handle h = k.handle(ns);
        Link vx = h.links().add(new LinkSpec("jvx42",
                LinkType.Vxlan.of(42).withLocal(InetAddress.getByName("198.51.100.1"))));
        MacAddress mac = MacAddress.parse("02:42:64:00:00:02");
        InetAddress vtep1 = InetAddress.getByName("198.51.100.2");
        InetAddress vtep2 = InetAddress.getByName("198.51.100.3");

        h.fdb().add(FdbEntry.vxlan(vx.index(), mac, vtep1));
        JsonNode o = fdb(ns, "jvx42", "02:42:64:00:00:02");
        assertEquals("198.51.100.2", o.path("dst").asText());
        assertEquals("permanent", o.path("state").asText());
        assertTrue(o.path("flags").toString().contains("self"), o.toString());

        var dup = assertThrows(NetlinkException.class, () -> h.fdb().add(FdbEntry.vxlan(vx.index(), mac, vtep1)));
        assertEquals(Errno.EEXIST, dup.errno());
        assertTrue(dup.getMessage().startsWith("add fdb 02:42:64:00:00:02 dst 198.51.100.2 on link #" + vx.index()),
                dup.getMessage());

        h.fdb().replace(FdbEntry.vxlan(vx.index(), mac, vtep2));
        long withMac = 0;
        for (JsonNode e : k.bridge(ns, "fdb", "show", "dev", "jvx42")) {
            if (e.path("mac").asText().equals("02:42:64:00:00:02")) {
                withMac++;
                assertEquals("198.51.100.3", e.path("dst").asText(), "replace must move the MAC to the new VTEP");
            }
        }
        assertEquals(1, withMac);

        List<FdbEntry> listed = h.fdb().list(vx.index());
        assertTrue(listed.stream().anyMatch(e -> e.mac().equals(mac) && vtep2.equals(e.dst()) && e.isSelf()
                && e.isPermanent()), listed.toString());

        h.fdb().delete(FdbEntry.vxlan(vx.index(), mac, vtep2));
        assertNull(fdb(ns, "jvx42", "02:42:64:00:00:02"));
        var gone = assertThrows(NetlinkException.class, () -> h.fdb().delete(FdbEntry.vxlan(vx.index(), mac, vtep2)));
        assertTrue(gone.isNotFound(), gone.getMessage());
    }

    @Test
    void bridgeMasterStaticEntry() {
        NetNs ns = k.newNs("fdbm");
        Handle h = k.handle(ns);
        Link br = h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        Link port = h.links().add(new LinkSpec("jp0", new LinkType.Veth("jp1")).withMaster("jbr0"));
        MacAddress mac = MacAddress.parse("02:64:00:00:00:33");

        h.fdb().add(FdbEntry.bridgeStatic(port.index(), mac));
        JsonNode o = fdb(ns, "jp0", "02:64:00:00:00:33");
        assertEquals("jbr0", o.path("master").asText(), o.toString());
        assertEquals("static", o.path("state").asText(), o.toString());

        List<FdbEntry> listed = h.fdb().list(port.index());
        assertTrue(listed.stream().anyMatch(e -> e.mac().equals(mac) && e.masterIndex() == br.index()), listed.toString());

        h.fdb().delete(FdbEntry.bridgeStatic(port.index(), mac));
        assertNull(fdb(ns, "jp0", "02:64:00:00:00:33"));
    }
}
