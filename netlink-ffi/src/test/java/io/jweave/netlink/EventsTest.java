package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.EnumSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Subscriptions: the kernel's notifications arrive as typed events. */
class EventsTest extends KernelTestBase {

    private static <T extends NetlinkEvent> T await(BlockingQueue<NetlinkEvent> q, Class<T> type, Predicate<T> match)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            NetlinkEvent e = q.poll(100, TimeUnit.MILLISECONDS);
            if (type.isInstance(e) && match.test(type.cast(e))) {
                return type.cast(e);
            }
        }
        return null;
    }

    @Test
    void linkAndNeighbourEventsArrive() throws Exception {
        NetNs ns = k.newNs("ev");
        Handle h = k.handle(ns);
        BlockingQueue<NetlinkEvent> q = new LinkedBlockingQueue<>();
        Subscription sub = k.track(h.subscribe(EnumSet.of(NetlinkEvent.Group.LINK, NetlinkEvent.Group.NEIGHBOUR), q::add));

        Link br = h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        NetlinkEvent.LinkChanged created = await(q, NetlinkEvent.LinkChanged.class,
                e -> !e.removed() && "jbr0".equals(e.link().name()));
        assertNotNull(created, "no LinkChanged for the new bridge");
        assertEquals(br.index(), created.link().index());
        assertEquals("bridge", created.link().kind());

        Link v = h.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1")));
        InetAddress ip = InetAddress.getByName("100.64.0.9");
        h.neighbours().add(Neighbour.permanent(v.index(), ip, MacAddress.parse("02:00:00:00:00:09")));
        NetlinkEvent.NeighbourChanged n = await(q, NetlinkEvent.NeighbourChanged.class,
                e -> !e.removed() && ip.equals(e.neighbour().ip()));
        assertNotNull(n, "no NeighbourChanged for the new entry");
        assertEquals(v.index(), n.neighbour().linkIndex());
        assertEquals(MacAddress.parse("02:00:00:00:00:09"), n.neighbour().mac());
        assertTrue(n.neighbour().isPermanent());

        Link vx = h.links().add(new LinkSpec("jvx0", LinkType.Vxlan.of(42)));
        MacAddress mac = MacAddress.parse("02:42:00:00:00:01");
        h.fdb().add(FdbEntry.vxlan(vx.index(), mac, InetAddress.getByName("198.51.100.2")));
        NetlinkEvent.FdbChanged f = await(q, NetlinkEvent.FdbChanged.class, e -> mac.equals(e.entry().mac()));
        assertNotNull(f, "no FdbChanged for the new entry");
        assertEquals("198.51.100.2", f.entry().dst().getHostAddress());

        h.links().delete("jbr0");
        assertNotNull(await(q, NetlinkEvent.LinkChanged.class, e -> e.removed() && "jbr0".equals(e.link().name())),
                "no LinkChanged(removed) for the deleted bridge");

        sub.close();
        q.clear();
        h.links().add(new LinkSpec("jbr9", new LinkType.Bridge()));
        Thread.sleep(500);
        assertFalse(q.stream().anyMatch(e -> e instanceof NetlinkEvent.LinkChanged lc && "jbr9".equals(lc.link().name())),
                "events after close");
    }

    @Test
    void onlySubscribedGroupsAndOnlyThisNamespace() throws Exception {
        NetNs a = k.newNs("eva");
        NetNs b = k.newNs("evb");
        Handle ha = k.handle(a);
        Handle hb = k.handle(b);
        BlockingQueue<NetlinkEvent> q = new LinkedBlockingQueue<>();
        k.track(ha.subscribe(EnumSet.of(NetlinkEvent.Group.LINK), q::add));
        hb.links().add(new LinkSpec("jother", new LinkType.Bridge()));
        Link v = ha.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1")));
        ha.neighbours().add(Neighbour.permanent(v.index(), InetAddress.getByName("100.64.0.7"),
                MacAddress.parse("02:00:00:00:00:07")));
        assertNotNull(await(q, NetlinkEvent.LinkChanged.class, e -> "jv0".equals(e.link().name())));
        Thread.sleep(300);
        assertFalse(q.stream().anyMatch(e -> e instanceof NetlinkEvent.NeighbourChanged), "neighbour events not subscribed");
        assertFalse(q.stream().anyMatch(e -> e instanceof NetlinkEvent.LinkChanged lc && "jother".equals(lc.link().name())),
                "event from another namespace");
    }
}
