package io.jweave.router.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static StatusReport.Peer self() {
        return new StatusReport.Peer("host1", "198.51.100.11:6783", "connected", true, "2026-12-02T19:00:00Z", false,
                false, null);
    }

    static StatusReport.Peer host2(Double rtt) {
        return new StatusReport.Peer("host2", "198.51.100.12:6783", "connected", false, "2026-12-02T19:00:01Z", true,
                false, null).with(new StatusReport.Datapath("vxlan", "heartbeats answered", "2026-12-02T19:00:02Z", rtt,
                0.0, 0L));
    }

    static Topology.Facts facts(List<Topology.EndpointFact> extra, Double rtt) {
        List<StatusReport.Peer> peers = List.of(self(), host2(rtt),
                new StatusReport.Peer("host3", "198.51.100.13:6783", "unreachable", false, "2026-12-02T19:30:00Z", false,
                        false, null),
                new StatusReport.Peer(null, "198.51.100.99:6783", "connecting", false, null, true));
        List<Topology.NetworkFact> nets = List.of(
                new Topology.NetworkFact("blue", "abc123", "100.64.0.0/24", "100.64.0.1", 4242, 1450, true),
                new Topology.NetworkFact("blue", null, "100.64.0.0/24", "100.64.0.1", 4242, null, false),
                new Topology.NetworkFact("red", null, "100.64.1.0/24", null, 4243, null, false));
        List<Topology.EndpointFact> eps = new ArrayList<>(List.of(
                new Topology.EndpointFact("ep1", "host1", "blue", "100.64.0.2", "02:42:64:40:00:02", "c1", "web"),
                new Topology.EndpointFact("ep2", "host2", "blue", "100.64.0.10", "02:42:64:40:00:0a", null, null),
                new Topology.EndpointFact("ep3", "host2", "blue", "100.64.0.9", "02:42:64:40:00:09", null, null),
                new Topology.EndpointFact("ep4", "host2", "gone", "100.64.9.9", "02:42:64:40:09:09", null, null)));
        eps.addAll(extra);
        List<Topology.NameFact> names = List.of(
                new Topology.NameFact("host2", "blue", "100.64.0.10", List.of("db.jweave.local", "pg.jweave.local"), "c2"),
                new Topology.NameFact("host1", "blue", "100.64.0.2", List.of("web.jweave.local"), "c1"));
        return new Topology.Facts("host1", peers, nets, eps, names,
                new StatusReport.Ipam("100.64.0.0/10", 24, List.of()), "jweave.local", 3);
    }

    @Test
    void buildsHostsLinksNetworksAndContainers() throws Exception {
        Topology.Content c = Topology.build(facts(List.of(), 0.4321));
        assertEquals(List.of("host1", "host2", "host3"), c.hosts().stream().map(Topology.Host::name).toList(),
                "members only, sorted; the join target that is no member is left out");
        Topology.Host h1 = c.hosts().get(0);
        assertEquals("198.51.100.11", h1.address());
        assertTrue(h1.self());
        assertEquals(2, c.links().size(), "self -> every other host");
        Topology.Link l = c.links().get(0);
        assertEquals("host1", l.from());
        assertEquals("host2", l.to());
        assertEquals("vxlan", l.datapath());
        assertEquals("heartbeats answered", l.reason());
        assertEquals("2026-12-02T19:00:02Z", l.since());
        assertEquals(0.4, l.rttMs());
        assertEquals(0.0, l.loss());
        Topology.Link l3 = c.links().get(1);
        assertEquals("unreachable", l3.state());
        assertNull(l3.datapath());
        assertEquals("2026-12-02T19:30:00Z", l3.since());

        assertEquals(List.of("blue", "red"), c.networks().stream().map(Topology.Network::name).toList());
        Topology.Network blue = c.networks().get(0);
        assertEquals("abc123", blue.id(), "this host's facts win");
        assertEquals(1450, blue.mtu());
        assertTrue(blue.local());
        assertEquals(Map.of("host1", 1, "host2", 2), blue.endpoints());
        Topology.Network red = c.networks().get(1);
        assertNull(red.id());
        assertFalse(red.local());
        assertEquals(Map.of(), red.endpoints());

        assertEquals(List.of("ep1", "ep3", "ep2"), c.containers().stream().map(Topology.Container::endpointId).toList(),
                "by network, host, numeric IP; an endpoint of an unknown network is left out");
        Topology.Container web = c.containers().get(0);
        assertEquals("web", web.name());
        assertEquals(List.of("web", "web.jweave.local"), web.dnsNames());
        Topology.Container db = c.containers().get(2);
        assertEquals("db", db.name(), "a remote container's name comes from its DNS record");
        assertEquals("c2", db.containerId());
        assertEquals("host2", db.host());
        assertEquals(List.of("db", "db.jweave.local", "pg", "pg.jweave.local"), db.dnsNames());
        Topology.Container unnamed = c.containers().get(1);
        assertNull(unnamed.name());
        assertEquals(List.of(), unnamed.dnsNames());

        JsonNode j = JSON.readTree(TopologyService.json(Topology.Snapshot.of(7, "2026-12-02T20:00:00Z", c)));
        assertEquals(7, j.get("version").asLong());
        assertEquals("host1", j.get("self").asText());
        for (String f : List.of("generatedAt", "hosts", "links", "networks", "containers", "ipam", "dns")) {
            assertTrue(j.has(f), f);
        }
        for (String f : List.of("from", "to", "state", "datapath", "encrypted", "reason", "since", "rttMs", "loss")) {
            assertTrue(j.get("links").get(0).has(f), f);
        }
        for (String f : List.of("name", "id", "subnet", "gateway", "vni", "mtu", "endpoints")) {
            assertTrue(j.get("networks").get(0).has(f), f);
        }
        for (String f : List.of("name", "host", "network", "ip", "mac", "endpointId", "dnsNames")) {
            assertTrue(j.get("containers").get(0).has(f), f);
        }
        assertEquals("jweave.local", j.get("dns").get("domain").asText());
        assertEquals(3, j.get("dns").get("records").asInt());
        assertEquals(2, j.get("networks").get(0).get("endpoints").get("host2").asInt());
    }

    @Test
    void theVersionChangesOnlyWhenTheContentDoes() {
        AtomicReference<Topology.Facts> f = new AtomicReference<>(facts(List.of(), 0.41));
        Clock clock = Clock.fixed(Instant.parse("2026-12-02T20:00:00Z"), ZoneOffset.UTC);
        TopologyService s = new TopologyService(f::get, TopologyService.Settings.DEFAULTS, clock);
        assertEquals(1, s.refresh().version());
        assertEquals(1, s.refresh().version(), "same facts");
        f.set(facts(List.of(), 0.43));
        assertEquals(1, s.refresh().version(), "an RTT within the rounding");
        f.set(facts(List.of(new Topology.EndpointFact("ep9", "host2", "blue", "100.64.0.20", "02:42:64:40:00:14", null,
                null)), 0.43));
        Topology.Snapshot two = s.refresh();
        assertEquals(2, two.version(), "a container more");
        assertEquals(4, two.containers().size());
        assertEquals("2026-12-02T20:00:00Z", two.generatedAt());
        assertEquals(2, s.refresh().version());
        f.set(facts(List.of(), 0.43));
        assertEquals(3, s.refresh().version(), "and gone again");
        f.set(facts(List.of(), 2.0));
        assertEquals(4, s.refresh().version(), "the RTT changed");
    }

    @Test
    void roundsRtts() {
        assertNull(Topology.rtt(null));
        assertEquals(0.4, Topology.rtt(0.44));
        assertEquals(9.9, Topology.rtt(9.94));
        assertEquals(12.0, Topology.rtt(12.4));
    }
}
