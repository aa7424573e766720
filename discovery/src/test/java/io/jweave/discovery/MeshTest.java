package io.jweave.discovery;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.jweave.discovery.TestSupport.await;
import static io.jweave.discovery.TestSupport.config;
import static io.jweave.discovery.TestSupport.endpoint;
import static io.jweave.discovery.TestSupport.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeshTest {

    @RegisterExtension
    final StartedMeshes meshes = new StartedMeshes();

    @Test
    void hazelcastConfigSendsNothingAnywhereUnasked() {
        MeshConfig mc = config("cfg", "a", 16783, 16784).withPeers(List.of("127.0.0.1:16784", "localhost"));
        Config c = Mesh.hazelcastConfig(mc);
        assertEquals("false", c.getProperty("hazelcast.phone.home.enabled"));
        assertEquals("false", c.getProperty("hazelcast.socket.bind.any"));
        assertEquals("slf4j", c.getProperty("hazelcast.logging.type"));
        NetworkConfig net = c.getNetworkConfig();
        JoinConfig join = net.getJoin();
        assertFalse(join.getMulticastConfig().isEnabled(), "multicast join");
        assertFalse(join.getAutoDetectionConfig().isEnabled(), "auto-detection");
        assertFalse(join.getAwsConfig().isEnabled() || join.getGcpConfig().isEnabled()
                || join.getAzureConfig().isEnabled() || join.getKubernetesConfig().isEnabled()
                || join.getEurekaConfig().isEnabled(), "cloud discovery");
        // members come only from our discovery strategy over the given peers (names resolved, IPv4 only here)
        assertFalse(join.getTcpIpConfig().isEnabled(), "TCP-IP join with its fixed member list");
        assertEquals("true", c.getProperty("hazelcast.discovery.enabled"));
        assertEquals(1, join.getDiscoveryConfig().getDiscoveryStrategyConfigs().size());
        PeerDiscovery d = (PeerDiscovery) join.getDiscoveryConfig().getDiscoveryStrategyConfigs().iterator().next()
                .getDiscoveryStrategyFactory();
        assertEquals(List.of("127.0.0.1:16784", "127.0.0.1:16783"), d.nodes().stream()
                .map(n -> n.getPrivateAddress().getHost() + ":" + n.getPrivateAddress().getPort()).toList());
        assertEquals(16783, net.getPort());
        assertFalse(net.isPortAutoIncrement());
        assertEquals("127.0.0.1:16783", net.getPublicAddress());
        assertTrue(net.getInterfaces().isEnabled());
        assertEquals(List.of("127.0.0.1"), List.copyOf(net.getInterfaces().getInterfaces()));
        assertFalse(net.getRestApiConfig().isEnabled());
        assertFalse(net.getMemcacheProtocolConfig().isEnabled());
        assertFalse(c.getJetConfig().isEnabled());
        assertFalse(c.getManagementCenterConfig().isScriptingEnabled());
        assertEquals("cfg", c.getClusterName());
        assertThrows(IllegalArgumentException.class,
                () -> MeshConfig.of("a", java.net.InetAddress.getByName("0.0.0.0")));
        assertThrows(IllegalArgumentException.class, () -> MeshConfig.of("bad name", TestSupport.LOOPBACK));
    }

    @Test
    void joinsThroughOnePeerAndMeasuresStartup() {
        String cl = TestSupport.cluster("join");
        int pa = freePort(), pb = freePort(), pc = freePort();
        Mesh a = meshes.start(config(cl, "a", pa));
        Mesh b = meshes.start(config(cl, "b", pb, pa));
        Mesh c = meshes.start(config(cl, "c", pc, pb));          // knows only b
        await("three members everywhere", Duration.ofSeconds(5),
                () -> a.members().stream().filter(p -> p.state() == Peer.State.UP).count() == 3);
        assertEquals(List.of("a", "b", "c"), c.members().stream().map(Peer::name).toList());
        assertTrue(c.members().get(2).local());
        assertEquals("127.0.0.1:" + pc, c.localAddress());
        System.out.printf("STARTUP first member %d ms, second (joining) %d ms, third %d ms%n",
                a.startupTime().toMillis(), b.startupTime().toMillis(), c.startupTime().toMillis());
        assertTrue(b.startupTime().compareTo(Duration.ofSeconds(3)) <= 0, "join took " + b.startupTime());
        assertTrue(c.startupTime().compareTo(Duration.ofSeconds(3)) <= 0, "join took " + c.startupTime());
    }

    @Test
    void refusesASecondMemberWithTheSameName() {
        String cl = TestSupport.cluster("clash");
        int pa = freePort(), pb = freePort(), pc = freePort();
        meshes.start(config(cl, "a", pa));
        Mesh b = meshes.start(config(cl, "b", pb, pa));
        MeshException e = assertThrows(MeshException.class, () -> meshes.start(config(cl, "b", pc, pa)));
        assertEquals(MeshException.Kind.NAME_CLASH, e.kind());
        assertTrue(e.getMessage().contains("\"b\" is already used by the router at 127.0.0.1:" + pb), e.getMessage());
        assertTrue(e.getMessage().contains("this router (127.0.0.1:" + pc + ")"), e.getMessage());
        await("the refused member is gone", Duration.ofSeconds(5), () -> b.members().stream()
                .filter(p -> p.state() == Peer.State.UP).count() == 2);
    }

    @Test
    void publishedRowsReachTheOthersWithEventsAndGoWhenTheOwnerLeaves() {
        String cl = TestSupport.cluster("rows");
        int pa = freePort(), pb = freePort(), pc = freePort();
        Mesh a = meshes.start(config(cl, "a", pa));
        Mesh b = meshes.start(config(cl, "b", pb, pa));
        Mesh c = meshes.start(config(cl, "c", pc, pa));
        List<String> events = new CopyOnWriteArrayList<>();
        a.endpoints().subscribe(new TableListener<>() {
            @Override
            public void added(OwnedTable.Row<EndpointRecord> r) {
                events.add("added " + r.owner() + "/" + r.key() + " " + r.value().ip());
            }

            @Override
            public void updated(OwnedTable.Row<EndpointRecord> before, OwnedTable.Row<EndpointRecord> after) {
                events.add("updated " + after.owner() + "/" + after.key() + " " + before.value().ip() + "->" + after.value().ip());
            }

            @Override
            public void removed(OwnedTable.Row<EndpointRecord> r) {
                events.add("removed " + r.owner() + "/" + r.key());
            }
        });
        List<String> left = new CopyOnWriteArrayList<>();
        a.subscribe(new MeshListener() {
            @Override
            public void memberLeft(Peer p) {
                left.add(p.name());
            }
        });
        b.peers().publish("b", new PeerInfo("127.0.0.1", "127.0.0.1", "0.1.0", List.of("dns")));
        b.endpoints().publish("ep1", endpoint("blue", "100.64.0.2", "b"));
        b.endpoints().publish("ep2", endpoint("blue", "100.64.0.3", "b"));
        c.endpoints().publish("ep3", endpoint("blue", "100.64.0.66", "c"));
        await("rows on a", Duration.ofSeconds(3), () -> a.endpoints().all().size() == 3);
        assertEquals(List.of("dns"), a.peers().get("b", "b").orElseThrow().capabilities());
        b.endpoints().publish("ep2", endpoint("blue", "100.64.0.4", "b"));
        b.endpoints().remove("ep1");
        b.endpoints().remove("ep1");                     // idempotent
        await("update and removal on c", Duration.ofSeconds(3), () -> c.endpoints().byOwner("b").size() == 1
                && c.endpoints().get("b", "ep2").map(e -> e.ip().equals("100.64.0.4")).orElse(false));
        await("events on a", Duration.ofSeconds(3), () -> events.contains("removed b/ep1"));
        assertTrue(events.contains("added b/ep1 100.64.0.2"), events.toString());
        assertTrue(events.contains("added c/ep3 100.64.0.66"), events.toString());
        assertTrue(events.contains("updated b/ep2 100.64.0.3->100.64.0.4"), events.toString());

        long t0 = System.nanoTime();
        c.close();
        meshes.release(c);
        Duration gone = await("c's rows gone from a and b", Duration.ofSeconds(5),
                () -> a.endpoints().byOwner("c").isEmpty() && b.endpoints().byOwner("c").isEmpty()
                        && events.contains("removed c/ep3"));
        System.out.printf("LEAVE graceful close -> rows removed and event delivered in %d ms%n", gone.toMillis());
        await("memberLeft", Duration.ofSeconds(1), () -> left.contains("c"));
        assertEquals(1, b.endpoints().all().size(), "b keeps its own row");
        assertTrue((System.nanoTime() - t0) < 5_000_000_000L);
        assertEquals(Peer.State.DOWN, a.members().stream().filter(p -> p.name().equals("c")).findFirst().orElseThrow().state());
    }

    @Test
    void rowsComeBackAfterTheOwnerRejoins() {
        String cl = TestSupport.cluster("rejoin");
        int pa = freePort(), pb = freePort();
        Mesh a = meshes.start(config(cl, "a", pa));
        Mesh b = meshes.start(config(cl, "b", pb, pa));
        b.endpoints().publish("ep1", endpoint("blue", "100.64.0.2", "b"));
        await("row on a", Duration.ofSeconds(3), () -> a.endpoints().all().size() == 1);
        // someone else's copy is damaged (e.g. a stale merge): the owner repairs it
        b.endpoints().resync();
        a.close();
        meshes.release(a);
        Mesh a2 = meshes.start(config(cl, "a", pa, pb));
        await("b's row re-published to the restarted a", Duration.ofSeconds(5),
                () -> a2.endpoints().get("b", "ep1").isPresent());
    }
}
