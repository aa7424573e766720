package io.jweave.router.paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.LinkSpec;
import io.jweave.netlink.LinkType;
import io.jweave.netlink.NetNs;
import io.jweave.netlink.PortRange;
import io.jweave.netlink.Route;
import io.jweave.netlink.Rule;
import io.jweave.netlink.sys.Sys;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The heartbeat namespace and the fallback rules against the real kernel (needs root), in a scratch
 * namespace standing for the host.
 */
class PathsKernelTest {
    private static final InetAddress SELF = addr("198.51.100.1");
    private static final InetAddress PEER = addr("198.51.100.2");
    private String hostNsName;
    private NetNs hostNs;
    private Handle host;
    private Path dataDir;

    private static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        hostNsName = "jwpathtest-" + HexFormat.of().formatHex(new byte[] {(byte) ThreadLocalRandom.current().nextInt(),
                (byte) ThreadLocalRandom.current().nextInt(), (byte) ThreadLocalRandom.current().nextInt()});
        hostNs = NetNs.create(hostNsName);
        host = Handle.open(hostNs);
        host.links().setUp("lo");
        host.links().add(new LinkSpec("ul0", new LinkType.Veth("ul1")));
        host.addresses().add("ul0", IpPrefix.parse("198.51.100.1/24"));
        host.links().setUp("ul0");
        host.links().setUp("ul1");
        dataDir = Files.createTempDirectory(Path.of("/run"), "jwpathtest-");
    }

    @AfterEach
    void tearDown() throws IOException {
        host.close();
        hostNs.close();
        NetNs.delete(hostNsName);
        try (var files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void fallbackRulesMoveOnePeerIntoTheTunnelAndBackAndLeaveNothing() {
        // a stand-in for jwtun0
        host.links().add(new LinkSpec("tun9", new LinkType.Bridge()));
        host.links().setUp("tun9");
        int tun = host.links().byName("tun9").orElseThrow().index();
        FallbackRoutes routes = new FallbackRoutes(host, 4789, SELF);
        routes.install();
        routes.install(); // idempotent
        List<Rule> rules = host.rules().list(Sys.AF_INET);
        Rule heartbeats = Rule.lookup(Sys.AF_INET, FallbackRoutes.HEARTBEAT_PRIORITY, 254).withIpProto(Rule.IPPROTO_UDP)
                .withSport(new PortRange(4789, 4789)).withDport(PortRange.of(4789));
        assertTrue(rules.contains(heartbeats), "heartbeat rule: " + rules);
        assertEquals(1, rules.stream().filter(r -> r.table() == FallbackRoutes.TABLE).count(), rules.toString());
        assertTrue(host.routes().list(Sys.AF_INET, FallbackRoutes.TABLE).isEmpty(), "every peer starts on the kernel path");

        routes.route(PEER, true, tun);
        List<Route> table = host.routes().list(Sys.AF_INET, FallbackRoutes.TABLE);
        assertEquals(1, table.size(), table.toString());
        assertEquals(new IpPrefix(PEER, 32), table.get(0).destination());
        assertEquals(tun, table.get(0).linkIndex());
        assertEquals(Set.of(PEER), routes.onTunnel());

        routes.route(PEER, false, tun);
        assertTrue(host.routes().list(Sys.AF_INET, FallbackRoutes.TABLE).isEmpty());
        routes.route(PEER, true, tun);
        routes.remove();
        assertTrue(host.routes().list(Sys.AF_INET, FallbackRoutes.TABLE).isEmpty(), "remove leaves routes");
        assertFalse(host.rules().list(Sys.AF_INET).stream().anyMatch(r -> r.table() == FallbackRoutes.TABLE
                || r.priority() == FallbackRoutes.HEARTBEAT_PRIORITY), "remove leaves rules");
    }

    @Test
    void theHeartbeatNamespaceReachesExactlyThePeersGivenAndIsGoneAfterClose() throws Exception {
        Path ns = dataDir.resolve("heartbeat-netns");
        HeartbeatPath hp = new HeartbeatPath(host, ns, SELF, 4789, 1450);
        hp.create();
        try (NetNs inside = NetNs.open(ns); Handle h = Handle.open(inside)) {
            var dev = h.links().byName(HeartbeatPath.DEVICE).orElseThrow();
            LinkType.Vxlan vx = (LinkType.Vxlan) dev.type();
            assertEquals(HeartbeatPath.VNI, vx.vni());
            assertEquals(new PortRange(4789, 4790), vx.sourcePorts(), "source port pinned to 4789");
            assertEquals(0, vx.underlayIndex(), "not bound to the underlay: the rules must apply");
            assertEquals(1450, dev.mtu());
            assertEquals(HeartbeatPath.macOf(SELF), dev.mac());
            hp.peers(Set.of(PEER, SELF));
            assertEquals(1, h.fdb().list(dev.index()).stream().filter(e -> PEER.equals(e.dst())).count());
            assertEquals(1, h.neighbours().list(dev.index()).stream().filter(n -> PEER.equals(n.ip())).count());
            assertTrue(h.routes().list(Sys.AF_INET).stream().anyMatch(r -> new IpPrefix(PEER, 32).equals(r.destination())));
            hp.peers(Set.of());
            assertEquals(0, h.fdb().list(dev.index()).stream().filter(e -> PEER.equals(e.dst())).count());
            assertEquals(0, h.neighbours().list(dev.index()).stream().filter(n -> PEER.equals(n.ip())).count());
            assertFalse(h.routes().list(Sys.AF_INET).stream().anyMatch(r -> new IpPrefix(PEER, 32).equals(r.destination())));
        }
        // a crashed router's leftovers are replaced at the next start
        HeartbeatPath again = new HeartbeatPath(host, ns, SELF, 4789, 1450);
        again.create();
        again.close();
        hp.close();
        assertFalse(Files.exists(ns), "the namespace file stays");
        assertTrue(host.links().byName(HeartbeatPath.DEVICE).isEmpty());
    }
}
