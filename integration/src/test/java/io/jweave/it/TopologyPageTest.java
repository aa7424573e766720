package io.jweave.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import io.jweave.router.status.StatusClient;
import io.jweave.router.status.UnixHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The topology page's data on a 2-host bed with real dockerd: host1's {@code /api/topology} shows
 * both hosts, the VXLAN link to host2, the network and a container of host2 with its address and
 * name; its {@code /api/events} tells of a container started on host2 within 2 s. The HTTP listener
 * is the host's loopback (127.0.0.1:6784 inside its namespace): read there with curl; the event
 * stream is read from this JVM through the router's status socket (same server, same routes).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TopologyPageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NET = "topo";
    private static final Duration CMD = Duration.ofSeconds(20);

    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private RouterProcess r1;
    private SimHost h1;
    private SimHost h2;

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(2).runId(runId).start();
        try {
            List<RouterProcess> routers = MultiHostSupport.launchAll(tb);
            r1 = routers.get(0);
            h1 = tb.host(1);
            h2 = tb.host(2);
            MultiHostSupport.createNetwork(h1, tb.hosts(), NET);
        } catch (RuntimeException | Error e) {
            down();
            throw e;
        }
    }

    @AfterAll
    void down() {
        Testbed bed = tb;
        tb = null;
        MultiHostSupport.closeBed(bed, before);
    }

    /** GET over HTTP on host1's loopback, from inside host1. */
    private JsonNode topologyOverHttp() {
        Result r = h1.exec(CMD, "curl", "-sS", "-f", "http://127.0.0.1:6784/api/topology");
        assertTrue(r.ok(), r::describe);
        try {
            return JSON.readTree(r.out());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.out(), e);
        }
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (value.equals(n.path(field).asText(null))) {
                return n;
            }
        }
        return null;
    }

    @Test
    void host1SeesBothHostsTheVxlanLinkTheNetworkAndHost2sContainer() {
        h2.run("-d", "--name", "web2", "--network", NET, TestImage.NAME, "sleep", "600");
        String ip = h2.containerIp("web2", NET);
        JsonNode[] last = new JsonNode[1];
        MultiHostSupport.await("host1's topology shows web2 by name on a vxlan link", Duration.ofSeconds(30), () -> {
            last[0] = topologyOverHttp();
            JsonNode c = find(last[0].path("containers"), "ip", ip);
            JsonNode l = find(last[0].path("links"), "to", "host2");
            return c != null && "web2".equals(c.path("name").asText(null)) && l != null
                    && "vxlan".equals(l.path("datapath").asText(null));
        }, () -> String.valueOf(last[0]));
        JsonNode t = last[0];
        assertEquals("host1", t.get("self").asText());
        assertTrue(t.get("version").asLong() >= 1);
        assertEquals(2, t.get("hosts").size(), t.toString());
        JsonNode host2 = find(t.get("hosts"), "name", "host2");
        assertNotNull(host2, t.toString());
        assertEquals("connected", host2.get("state").asText());
        assertEquals(h2.underlayIp(), host2.get("address").asText());
        assertTrue(find(t.get("hosts"), "name", "host1").get("self").asBoolean());
        JsonNode link = find(t.get("links"), "to", "host2");
        assertEquals("host1", link.get("from").asText());
        assertEquals("connected", link.get("state").asText());
        JsonNode net = find(t.get("networks"), "name", NET);
        assertNotNull(net, t.toString());
        assertTrue(net.get("vni").asInt() > 0);
        assertTrue(net.get("subnet").asText().startsWith("100."), net.toString());
        int onHost2 = 0;
        for (JsonNode c : t.get("containers")) {
            onHost2 += "host2".equals(c.get("host").asText()) && NET.equals(c.get("network").asText()) ? 1 : 0;
        }
        assertTrue(onHost2 >= 1);
        assertEquals(onHost2, net.get("endpoints").get("host2").asInt(), net.toString()); // the other test's too
        JsonNode web2 = find(t.get("containers"), "ip", ip);
        assertEquals("host2", web2.get("host").asText());
        assertEquals(NET, web2.get("network").asText());
        assertTrue(web2.get("dnsNames").toString().contains("\"web2\""), web2.toString());
        // the page itself, from the same listener
        Result page = h1.exec(CMD, "curl", "-sS", "-f", "-D", "-", "http://127.0.0.1:6784/");
        assertTrue(page.ok() && page.out().toLowerCase().contains("content-security-policy: default-src 'self'")
                && page.out().contains("<html"), page::describe);
    }

    @Test
    void anEventTellsOfAContainerStartedOnHost2WithinTwoSeconds() throws Exception {
        BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
        try (UnixHttp.Streamed s = StatusClient.stream(r1.dataDir(), "/api/events")) {
            assertTrue(s.header("Content-Type").startsWith("text/event-stream"), s.header("Content-Type"));
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(s.body(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("data: ")) {
                            events.add(JSON.readTree(line.substring(6)));
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "sse-reader");
            reader.setDaemon(true);
            reader.start();
            JsonNode first = events.poll(2, TimeUnit.SECONDS);
            assertNotNull(first, "the first event comes at once");
            assertEquals("host1", first.get("self").asText());

            h2.run("-d", "--name", "live2", "--network", NET, TestImage.NAME, "sleep", "600");
            long started = System.nanoTime();
            String ip = h2.containerIp("live2", NET);
            JsonNode seen = null;
            while (seen == null && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2)) {
                JsonNode e = events.poll(100, TimeUnit.MILLISECONDS);
                if (e != null && find(e.path("containers"), "ip", ip) != null) {
                    seen = e;
                }
            }
            assertNotNull(seen, "an event with live2 (" + ip + ") within 2 s of docker run returning");
            System.out.printf("topology event with live2 %d ms after docker run returned%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            assertEquals("host2", find(seen.get("containers"), "ip", ip).get("host").asText());
            assertTrue(seen.get("version").asLong() > first.get("version").asLong());
        }
    }
}
