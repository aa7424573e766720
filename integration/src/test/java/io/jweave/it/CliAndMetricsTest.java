package io.jweave.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The CLI, the status API and /metrics against real routers on two simulated hosts that start
 * apart (no launch peers): {@code jweave connect} makes one mesh (cross-host ping), {@code forget}
 * removes a join target, both persist across a router restart; {@code ps} shows a container's
 * endpoint; /metrics is scraped over HTTP inside a host (its loopback) and checked against what
 * the router and dockerd say; every CLI error path prints one clear line and exits non-zero.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliAndMetricsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CMD = Duration.ofSeconds(60);
    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private RouterProcess r1;
    private RouterProcess r2;

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(2).runId(runId).start();
        r1 = RouterProcess.launch(tb.host(1));
        r2 = RouterProcess.launch(tb.host(2));
    }

    @AfterAll
    void down() {
        if (tb != null) {
            tb.close();
        }
        before.assertNoLeaks();
    }

    // ------------------------------------------------------------------ helpers

    /** {@code ./jweave ARGS} inside {@code host} (no --data-dir added). */
    private static Result jweave(SimHost host, String... args) {
        List<String> cmd = new ArrayList<>(List.of(RouterProcess.REPO.resolve("jweave").toString()));
        cmd.addAll(List.of(args));
        return host.exec(CMD, cmd.toArray(String[]::new));
    }

    private static JsonNode json(Result r) {
        assertTrue(r.ok(), r.describe());
        try {
            return JSON.readTree(r.out());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.describe(), e);
        }
    }

    /** Routers {@code r} sees connected (its status API, asked in-process: polling with the CLI is slow). */
    private static long connected(RouterProcess r) {
        return MultiHostSupport.status(r).peers().stream().filter(p -> "connected".equals(p.state())).count();
    }

    private static List<String> joinTargets(RouterProcess r) {
        List<String> out = new ArrayList<>();
        json(r.cli("peers", "--json")).path("joinTargets").forEach(n -> out.add(n.asText()));
        return out;
    }

    /** A failed CLI call: non-zero exit, the expected one-line message on stderr, no stack trace. */
    private static void assertCliError(Result r, String expectedStart) {
        assertNotEquals(0, r.exitCode(), r.describe());
        String firstLine = r.err().strip().split("\n")[0];
        assertTrue(firstLine.startsWith(expectedStart), "expected \"" + expectedStart + "...\", got: " + r.describe());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "stack trace or exception name: " + r.describe());
    }

    /** Sample lines of a Prometheus text exposition: "name{labels}" → value. */
    static Map<String, Double> parseMetrics(String text) {
        Map<String, Double> out = new HashMap<>();
        Pattern line = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*})?) (\\S+)(?: \\d+)?$");
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

    /** GET /metrics over HTTP on the host's loopback, from inside the host (curl in its namespace). */
    private static Map<String, Double> scrape(SimHost h) {
        Result r = h.exec(CMD, "curl", "-sS", "-f", "http://127.0.0.1:6784/metrics");
        assertTrue(r.ok(), r.describe());
        return parseMetrics(r.out());
    }

    // ------------------------------------------------------------------ tests

    @Test
    @Order(1)
    void everyCliErrorSaysWhatWasWrongAndExitsNonZero() throws IOException {
        SimHost h = tb.host(1);
        // router not running: an existing data directory without a status socket
        Path empty = Files.createDirectories(h.runDir().resolve("no-router"));
        assertCliError(jweave(h, "status", "--data-dir", empty.toString()),
                "jweave status: no router is running (no status socket at " + empty.resolve("status.sock") + ")");
        assertCliError(jweave(h, "peers", "--data-dir", empty.toString()), "jweave peers: no router is running");
        assertCliError(jweave(h, "ps", "--data-dir", empty.toString()), "jweave ps: no router is running");
        assertCliError(jweave(h, "report", "--data-dir", empty.toString()), "jweave report: no router is running");
        // bad --data-dir
        assertCliError(jweave(h, "connect", "198.51.100.12", "--data-dir", "/nonexistent/jweave"),
                "jweave connect: --data-dir /nonexistent/jweave does not exist");
        Path file = Files.writeString(h.runDir().resolve("a-file"), "x");
        assertCliError(jweave(h, "status", "--data-dir", file.toString()), "jweave status: --data-dir " + file + " is not a directory");
        // a data directory or plugin socket whose socket path cannot be bound: refused before anything starts
        String deep = h.runDir().resolve("d".repeat(110)).toString();
        assertCliError(jweave(h, "launch", "--foreground", "--data-dir", deep),
                "jweave launch: --data-dir: the socket path " + deep + "/status.sock is ");
        assertCliError(jweave(h, "launch", "--foreground", "--plugin-socket", deep + "/jweave.sock"),
                "jweave launch: --plugin-socket: the socket path " + deep + "/jweave.sock is ");
        assertFalse(Files.exists(Path.of(deep)), "a refused launch created " + deep);
        // unknown peer for forget
        assertCliError(r1.cli("forget", "198.51.100.99"),
                "jweave forget: 198.51.100.99 is not a peer of this router (join targets: none)");
        // bad arguments
        assertCliError(r1.cli("connect"), "Missing required parameter: 'PEER'");
        assertCliError(r1.cli("peers", "--bogus"), "Unknown option: '--bogus'");
        assertCliError(r1.cli("connect", "host:99999"), "jweave connect: \"host:99999\" is not a peer: port \"99999\" is not 1-65535");
        assertCliError(r1.cli("connect", "no-such-host.invalid"), "jweave connect: peer no-such-host.invalid does not resolve");
        assertCliError(r1.cli("connect", h.underlayIp()), "jweave connect: " + h.underlayIp() + " is this router itself");
        // the status API answers errors as JSON over HTTP too
        Result notFound = h.exec(CMD, "curl", "-sS", "-w", "\n%{http_code}", "http://127.0.0.1:6784/nope");
        assertTrue(notFound.out().endsWith("\n404"), notFound.describe());
        assertTrue(notFound.out().contains("\"error\" : \"no such endpoint: /nope"), notFound.describe());
        Result malformed = h.exec(CMD, "curl", "-sS", "-w", "\n%{http_code}", "-X", "POST", "-d", "{\"peer\":",
                "http://127.0.0.1:6784/connect");
        assertTrue(malformed.out().endsWith("\n400"), malformed.describe());
        assertTrue(malformed.out().contains("malformed JSON body"), malformed.describe());
        // nothing was left behind by the refused requests
        assertEquals(List.of(), joinTargets(r1));
        assertFalse(Files.exists(r1.dataDir().resolve("peers.json")), "a refused connect wrote peers.json");
    }

    @Test
    @Order(2)
    void connectFormsTheMeshForgetRemovesTheTargetAndBothSurviveARestart() {
        SimHost h1 = tb.host(1);
        SimHost h2 = tb.host(2);
        assertEquals(1, connected(r1), "host1 starts alone");
        assertEquals(1, connected(r2), "host2 starts alone");
        // an unreachable peer is a join target in state "connecting"
        Result ghost = r2.cli("connect", "198.51.100.99");
        assertTrue(ghost.ok(), ghost.describe());
        long t0 = System.nanoTime();
        Result c = r2.cli("connect", h1.underlayIp());
        assertTrue(c.ok(), c.describe());
        assertTrue(c.out().contains(h1.underlayIp() + ":6783 added"), c.describe());
        Duration formed = MultiHostSupport.await("host1 and host2 are one mesh", Duration.ofSeconds(60),
                () -> connected(r1) == 2 && connected(r2) == 2);
        System.out.printf("CONNECT: one mesh %d ms after jweave connect returned (%d ms after it started, JVM start included)%n",
                formed.toMillis(), (System.nanoTime() - t0) / 1_000_000);
        JsonNode peers = json(r2.cli("peers", "--json"));
        boolean sawGhost = false;
        for (JsonNode p : peers.path("peers")) {
            if ("host1".equals(p.path("name").asText())) {
                assertEquals("connected", p.path("state").asText(), peers.toString());
                assertTrue(p.path("joinTarget").asBoolean(), peers.toString());
                assertFalse(p.path("since").isNull(), peers.toString());
            }
            if ("198.51.100.99:6783".equals(p.path("address").asText())) {
                sawGhost = true;
                assertEquals("connecting", p.path("state").asText(), peers.toString());
            }
        }
        assertTrue(sawGhost, "the unreachable join target is listed: " + peers);
        Result table = r2.cli("peers");
        assertTrue(table.ok() && table.out().contains("host1") && table.out().contains("connecting"), table.describe());

        // the mesh carries traffic: a network made on host1 reaches host2, containers ping across
        MultiHostSupport.createNetwork(h1, tb.hosts(), "cli-net");
        h1.run("-d", "--name", "web", "--network", "cli-net", TestImage.NAME, "sleep", "600");
        h2.run("-d", "--name", "client", "--network", "cli-net", TestImage.NAME, "sleep", "600");
        String webIp = h1.containerIp("web", "cli-net");
        MultiHostSupport.awaitPing(h2, "client", webIp, Duration.ofSeconds(30));

        // connect persists: host2 restarts and joins host1 again by itself
        r2.stop();
        r2.start();
        MultiHostSupport.await("host2 back in the mesh after its restart", Duration.ofSeconds(60),
                () -> connected(r1) == 2 && connected(r2) == 2);
        assertEquals(List.of("198.51.100.99:6783", h1.underlayIp() + ":6783"), joinTargets(r2));

        // forget takes effect at once and persists across a restart
        Result f = r2.cli("forget", "198.51.100.99");
        assertTrue(f.ok(), f.describe());
        assertEquals(List.of(h1.underlayIp() + ":6783"), joinTargets(r2));
        Result f2 = r2.cli("forget", h1.underlayIp());
        assertTrue(f2.ok() && f2.out().contains("join targets: none"), f2.describe());
        assertEquals(List.of(), joinTargets(r2));
        assertCliError(r2.cli("forget", h1.underlayIp()), "jweave forget: " + h1.underlayIp() + " is not a peer of this router");
        JsonNode afterForget = json(r2.cli("peers", "--json"));
        for (JsonNode p : afterForget.path("peers")) {
            assertFalse(p.path("joinTarget").asBoolean(), "still a join target: " + afterForget);
            assertNotEquals("connecting", p.path("state").asText(), afterForget.toString());
        }
        r2.stop();
        r2.start();
        assertEquals(List.of(), joinTargets(r2), "forgotten peers stay forgotten after a restart");
        JsonNode report = json(r2.cli("report"));
        assertEquals(0, report.path("peers").path("joinTargets").size(), report.toString());
        assertEquals(0, report.path("config").path("launchPeers").size(), report.toString());
        // ... and the restarted host2 does not join host1 again (observed for more than two merge-search
        // intervals of 5 s): host2 has no target; host1 has none either and only remembers host2's
        // address, and at equal sizes Hazelcast lets the greater address (host2's) merge, which
        // host2 would have to start

        long until = System.nanoTime() + Duration.ofSeconds(12).toNanos();
        while (System.nanoTime() < until) {
            assertEquals(1, connected(r2), "host2 joined host1 although it was forgotten");
            MultiHostSupport.sleep(500);
        }
        assertEquals(1, connected(r1));

        // connect undoes forget: one mesh again (the next test needs host1's majority)
        Result again = r2.cli("connect", h1.underlayIp());
        assertTrue(again.ok(), again.describe());
        Duration reformed = MultiHostSupport.await("one mesh again", Duration.ofSeconds(60),
                () -> connected(r1) == 2 && connected(r2) == 2);
        System.out.printf("CONNECT: a restarted router rejoined through jweave connect in %d ms%n", reformed.toMillis());
        assertEquals(List.of(h1.underlayIp() + ":6783"), joinTargets(r2));
    }

    @Test
    @Order(3)
    void psShowsTheContainersEndpointAndMetricsMatchReality() {
        SimHost h1 = tb.host(1);
        String net = "cli-net";                                   // made by the previous test
        Map<String, Double> m0 = scrape(h1);
        String createKey = "jweave_plugin_call_seconds_count{method=\"NetworkDriver.CreateEndpoint\",outcome=\"ok\"}";
        double creates0 = m0.getOrDefault(createKey, 0.0);
        String id = h1.run("-d", "--name", "ps-c1", "--network", net, TestImage.NAME, "sleep", "600").trim();
        String ip = h1.containerIp("ps-c1", net);
        String mac = h1.dockerOk("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + net + "\").MacAddress}}", "ps-c1")
                .out().trim().toLowerCase();

        Result ps = r1.cli("ps");
        assertTrue(ps.ok(), ps.describe());
        String line = ps.out().lines().filter(l -> l.startsWith(id.substring(0, 12))).findFirst()
                .orElseThrow(() -> new AssertionError("no line for container " + id + " in:\n" + ps.out()));
        String[] f = line.trim().split("\\s+");
        assertEquals(5, f.length, line);
        assertEquals("ps-c1", f[1], line);
        assertEquals(net, f[2], line);
        assertTrue(f[3].equals(ip) || f[3].startsWith(ip + "/"), line + " (container IP " + ip + ")");
        assertEquals(mac, f[4].toLowerCase(), line);

        // metrics, scraped over HTTP inside host1, against the router's own view and dockerd's
        JsonNode status = json(r1.cli("status", "--json"));
        Map<String, Double> m = scrape(h1);
        assertEquals((double) status.path("endpoints").size(), m.get("jweave_endpoints{location=\"local\"}"), m.toString());
        assertEquals((double) status.path("networks").size(), m.get("jweave_networks"));
        assertEquals((double) h1.containerIds().size(), m.get("jweave_endpoints{location=\"local\"}"),
                "one endpoint per running container on host1");
        assertEquals(creates0 + 1, m.get(createKey), "exactly one CreateEndpoint for one docker run");
        assertTrue(m.getOrDefault("jweave_plugin_call_seconds_count{method=\"NetworkDriver.Join\",outcome=\"ok\"}", 0.0) >= 1);
        assertTrue(m.get("jweave_reconcile_seconds_count{result=\"ok\"}") >= 1, "reconcile passes counted");
        assertTrue(m.get("jweave_netlink_requests_total") > 0, "netlink requests counted");
        long connectedNow = connected(r1);
        assertEquals((double) connectedNow, m.get("jweave_peers{state=\"connected\"}"));
        double used = 0;
        for (JsonNode p : status.path("ipam").path("pools")) {
            String key = "jweave_ipam_addresses{pool=\"" + p.path("pool").asText() + "\",state=\"used\"}";
            assertEquals(p.path("used").asDouble(), m.get(key), key);
            assertEquals(p.path("free").asDouble(), m.get(key.replace("used", "free")));
            used += p.path("used").asDouble();
        }
        assertTrue(used >= 1, "the container's address is counted as used");
    }

    @Test
    @Order(4)
    void aBadPasswordFileOrAnEmptyJweavePasswordIsRefusedInOneLineAndNothingStarts() throws IOException {
        SimHost h = tb.host(1);
        Path data = h.runDir().resolve("pw-refused");
        Path socket = h.runDir().resolve("pw-refused.sock");
        String[] where = {"--advertise-addr", h.underlayIp(), "--data-dir", data.toString(), "--plugin-socket", socket.toString()};
        String secret = "a-long-enough-mesh-secret";
        Path open = Files.writeString(h.runDir().resolve("pw-open"), secret + "\n");
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Path empty = Files.writeString(h.runDir().resolve("pw-empty"), "");
        Path blank = Files.writeString(h.runDir().resolve("pw-blank"), " \n");
        for (Path p : List.of(empty, blank)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        Path missing = h.runDir().resolve("pw-missing");
        Path dir = Files.createDirectories(h.runDir().resolve("pw-dir"));
        Map<Path, String> problems = new java.util.LinkedHashMap<>();
        problems.put(open, "is readable by group or others (mode 0644): run chmod 600 " + open);
        problems.put(empty, "is empty");
        problems.put(blank, "is empty (only whitespace)");
        problems.put(missing, "does not exist");
        problems.put(dir, "is a directory, not a file");
        for (Map.Entry<Path, String> e : problems.entrySet()) {
            Result r = jweave(h, concat(new String[] {"launch", "--foreground", "--password-file", e.getKey().toString()}, where));
            assertCliError(r, "jweave launch: password file " + e.getKey() + " " + e.getValue());
            assertEquals(1, r.exitCode(), r.describe());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.describe());
        }
        // container mode checks before it touches dockerd; the file wins over a good JWEAVE_PASSWORD
        Result container = h.exec(CMD, Map.of("JWEAVE_PASSWORD", secret),
                concat(new String[] {RouterProcess.REPO.resolve("jweave").toString(), "launch", "--docker-host",
                        h.dockerHost(), "--password-file", open.toString()}, where));
        assertCliError(container, "jweave launch: password file " + open + " is readable by group or others (mode 0644)");
        Result emptyEnv = h.exec(CMD, Map.of("JWEAVE_PASSWORD", ""),
                concat(new String[] {RouterProcess.REPO.resolve("jweave").toString(), "launch", "--foreground"}, where));
        assertCliError(emptyEnv, "jweave launch: JWEAVE_PASSWORD is set but empty");
        assertEquals(1, emptyEnv.exitCode(), emptyEnv.describe());
        for (Result r : List.of(container, emptyEnv)) {
            assertFalse(r.out().contains(secret) || r.err().contains(secret), "the secret is printed: " + r.describe());
        }
        // nothing started, nothing left behind
        assertFalse(Files.exists(data), "a refused launch created its data directory (and netns) " + data);
        assertFalse(Files.exists(socket), "a refused launch left a plugin socket " + socket);
        assertFalse(h.docker("inspect", "jweave-router").ok(), "a refused launch made a router container");
    }

    @Test
    @Order(5)
    void aRouterStartedWithAPasswordShowsItNowhere() throws IOException {
        String secret = "cli-test-mesh-secret-" + runId;
        r2.stop();
        tb.host(2).routerPassword(secret);
        try {
            r2.start();
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(r2.passwordFile())), "the test bed's password file is private");
            assertTrue(r2.process().command().contains(r2.passwordFile().toString()), r2.process().command().toString());
            assertFalse(String.join(" ", r2.process().command()).contains(secret), "the secret is on the command line");
            for (String[] args : List.of(new String[] {"report"}, new String[] {"status", "--json"}, new String[] {"peers", "--json"})) {
                Result r = r2.cli(args);
                assertTrue(r.ok(), r.describe());
                assertFalse(r.out().contains(secret), "the status API shows the password: " + r.describe());
            }
            Result metrics = tb.host(2).exec(CMD, "curl", "-sS", "-f", "http://127.0.0.1:6784/metrics");
            assertTrue(metrics.ok() && !metrics.out().contains(secret), "metrics show the password");
            assertFalse(Files.readString(r2.process().log()).contains(secret), "the router logs the password");
        } finally {
            tb.host(2).routerPassword(null);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
