package io.jweave.router.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.plugin.PluginCallListener;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RouterMetricsTest {

    /** A router state the test changes between scrapes. */
    static final class FakeState implements RouterMetrics.Source {
        Map<String, Integer> peers = Map.of("connected", 2, "unreachable", 1);
        int networks = 1;
        int local = 3;
        int remote = 4;
        List<RouterMetrics.PoolUsage> pools = List.of(new RouterMetrics.PoolUsage("100.64.0.0/24", 5, 249));

        @Override
        public Map<String, Integer> peersByState() {
            return peers;
        }

        @Override
        public int networks() {
            return networks;
        }

        @Override
        public int localEndpoints() {
            return local;
        }

        @Override
        public int remoteEndpoints() {
            return remote;
        }

        @Override
        public List<RouterMetrics.PoolUsage> pools() {
            return pools;
        }

        @Override
        public int joinTargets() {
            return 1;
        }
    }

    /** Sample lines of the Prometheus text format: "name{labels}" → value. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> out = new HashMap<>();
        Pattern line = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*})?) (\\S+)$");
        for (String l : text.split("\n")) {
            if (l.startsWith("#") || l.isBlank()) {
                continue;
            }
            Matcher m = line.matcher(l);
            assertTrue(m.matches(), "not a Prometheus sample line: " + l);
            out.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }

    @Test
    void exposesTheRoutersStateAndEventsInPrometheusFormat() {
        FakeState st = new FakeState();
        RouterMetrics m = new RouterMetrics(st, "1.2.3");
        m.reconcilePass(2_000_000, true);
        m.reconcilePass(3_000_000, false);
        m.onCall("NetworkDriver.CreateEndpoint", 4_000_000, PluginCallListener.Outcome.OK);
        m.onCall("NetworkDriver.CreateEndpoint", 6_000_000, PluginCallListener.Outcome.OK);
        m.onCall("IpamDriver.RequestAddress", 1_000_000, PluginCallListener.Outcome.REFUSED);
        String text = m.scrape();
        Map<String, Double> s = parse(text);
        assertEquals(1.0, s.get("jweave_version{version=\"1.2.3\"}"), text);
        assertEquals(2.0, s.get("jweave_peers{state=\"connected\"}"));
        assertEquals(1.0, s.get("jweave_peers{state=\"unreachable\"}"));
        assertEquals(0.0, s.get("jweave_peers{state=\"departed\"}"));
        assertEquals(0.0, s.get("jweave_peers{state=\"connecting\"}"));
        assertEquals(1.0, s.get("jweave_networks"));
        assertEquals(3.0, s.get("jweave_endpoints{location=\"local\"}"));
        assertEquals(4.0, s.get("jweave_endpoints{location=\"remote\"}"));
        assertEquals(1.0, s.get("jweave_mesh_join_targets"));
        assertEquals(5.0, s.get("jweave_ipam_addresses{pool=\"100.64.0.0/24\",state=\"used\"}"));
        assertEquals(249.0, s.get("jweave_ipam_addresses{pool=\"100.64.0.0/24\",state=\"free\"}"));
        assertEquals(1.0, s.get("jweave_reconcile_seconds_count{result=\"ok\"}"));
        assertEquals(1.0, s.get("jweave_reconcile_seconds_count{result=\"error\"}"));
        assertEquals(1.0, s.get("jweave_reconcile_errors_total"));
        assertEquals(2.0, s.get("jweave_plugin_call_seconds_count{method=\"NetworkDriver.CreateEndpoint\",outcome=\"ok\"}"));
        assertEquals(0.010, s.get("jweave_plugin_call_seconds_sum{method=\"NetworkDriver.CreateEndpoint\",outcome=\"ok\"}"), 1e-9);
        assertEquals(1.0, s.get("jweave_plugin_call_seconds_count{method=\"IpamDriver.RequestAddress\",outcome=\"refused\"}"));
        assertEquals(2.0, s.get("jweave_plugin_call_seconds_bucket{method=\"NetworkDriver.CreateEndpoint\",outcome=\"ok\",le=\"0.01\"}"),
                "latency histogram: both calls (4 ms, 6 ms) within 10 ms\n" + text);
        assertEquals(1.0, s.get("jweave_plugin_call_seconds_bucket{method=\"NetworkDriver.CreateEndpoint\",outcome=\"ok\",le=\"0.005\"}"));
        assertTrue(s.containsKey("jweave_netlink_requests_total"));
        assertTrue(s.containsKey("jweave_netlink_errors_total"));
        for (String f : RouterMetrics.families()) {
            assertTrue(text.contains("# TYPE " + f + " ") || text.contains("# TYPE " + f.replace("_total", "") + " "),
                    "family " + f + " in\n" + text);
        }

        // gauges follow the state at the next scrape; pools that went away go away
        st.local = 7;
        st.pools = List.of(new RouterMetrics.PoolUsage("100.64.1.0/24", 1, 253));
        Map<String, Double> s2 = parse(m.scrape());
        assertEquals(7.0, s2.get("jweave_endpoints{location=\"local\"}"));
        assertEquals(1.0, s2.get("jweave_ipam_addresses{pool=\"100.64.1.0/24\",state=\"used\"}"));
        assertTrue(!s2.containsKey("jweave_ipam_addresses{pool=\"100.64.0.0/24\",state=\"used\"}"));
    }

    @Test
    void dnsCountersBindByName() {
        RouterMetrics m = new RouterMetrics(new FakeState(), "dev");
        long[] q = {41};
        m.bindDns(Map.of("queries", () -> q[0], "forward_errors", () -> 2));
        q[0]++;
        Map<String, Double> s = parse(m.scrape());
        assertEquals(42.0, s.get("jweave_dns_queries_total"));
        assertEquals(2.0, s.get("jweave_dns_forward_errors_total"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.bindDns(Map.of("qps", () -> 1)));
        assertTrue(e.getMessage().startsWith("unknown DNS counter qps"));
    }
}
