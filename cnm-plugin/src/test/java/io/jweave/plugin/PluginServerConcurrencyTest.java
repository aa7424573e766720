package io.jweave.plugin;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Driver calls run off the event loop; a slow call never holds up another connection. */
class PluginServerConcurrencyTest {
    static final String NET = PluginWireTest.NET;
    static final String EP = PluginWireTest.EP;

    @TempDir
    Path dir;
    PluginServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private PluginServer start(RecordingDriver driver, PluginServerConfig config) throws IOException {
        server = new PluginServer(driver, driver, config.withSocketPath(dir.resolve("jweave.sock")));
        server.start();
        return server;
    }

    @Test
    void aBlockedDriverCallDoesNotBlockAnotherConnection() throws Exception {
        RecordingDriver driver = new RecordingDriver();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        driver.hook = (method, request) -> {
            if (method.equals("CreateNetwork")) {
                entered.countDown();
                // Blocks until the test has seen the other connection answered.
                assertTrue(release.await(30, TimeUnit.SECONDS));
            }
        };
        start(driver, PluginServerConfig.defaults());

        try (UnixHttp slow = new UnixHttp(server.socketPath()); UnixHttp fast = new UnixHttp(server.socketPath())) {
            CompletableFuture<UnixHttp.Response> slowAnswer = CompletableFuture.supplyAsync(() -> {
                try {
                    return slow.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + NET + "\"}");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(entered.await(30, TimeUnit.SECONDS), "CreateNetwork never reached the driver");

            // While CreateNetwork is held inside the driver, other connections get answers,
            // both from the server itself and from the driver.
            assertEquals(200, fast.post("/Plugin.Activate", "").status());
            assertEquals(200, fast.post("/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"other\"}").status());
            assertEquals(200, fast.post("/IpamDriver.ReleasePool", "{\"PoolID\":\"p\"}").status());
            assertFalse(slowAnswer.isDone(), "the slow call cannot have finished: it is still held");

            release.countDown();
            UnixHttp.Response r = slowAnswer.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.status());
            assertEquals("{}", r.body());
        }
    }

    @Test
    void pipelinedRequestsOnOneConnectionAreAnsweredInOrder() throws Exception {
        RecordingDriver driver = new RecordingDriver();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        driver.hook = (method, request) -> {
            if (method.equals("CreateEndpoint")) {
                entered.countDown();
                assertTrue(release.await(30, TimeUnit.SECONDS));
            }
        };
        // Several call threads, so only per-connection ordering can keep the answers in order.
        start(driver, PluginServerConfig.defaults().withCallThreads(4));
        try (UnixHttp http = new UnixHttp(server.socketPath())) {
            String ids = "\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"";
            http.send(UnixHttp.dockerRequest("/NetworkDriver.CreateEndpoint", "{" + ids + ",\"Interface\":{}}")
                    + UnixHttp.dockerRequest("/NetworkDriver.Join", "{" + ids + "}")
                    + UnixHttp.dockerRequest("/Plugin.Activate", ""));
            assertTrue(entered.await(30, TimeUnit.SECONDS));
            // CreateEndpoint is held: Join, though already sent, must not have started.
            assertEquals(List.of("CreateEndpoint"), driver.methods());
            release.countDown();
            assertTrue(http.read().body().startsWith("{\"Interface\""));
            assertTrue(http.read().body().startsWith("{\"InterfaceName\""));
            assertTrue(http.read().body().startsWith("{\"Implements\""));
            assertEquals(List.of("CreateEndpoint", "Join"), driver.methods());
        }
    }

    @Test
    void listenerHearsEveryRoutedCallWithItsOutcome() throws Exception {
        record Seen(String method, long nanos, PluginCallListener.Outcome outcome) {
        }
        ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
        RecordingDriver driver = new RecordingDriver();
        start(driver, PluginServerConfig.defaults().withListener((m, n, o) -> seen.add(new Seen(m, n, o))));
        try (UnixHttp http = new UnixHttp(server.socketPath())) {
            http.post("/Plugin.Activate", "");
            http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"n\",\"Options\":{\"com.docker.network.generic\":{\"test.fail\":\"user\"}}}");
            http.post("/NetworkDriver.CreateNetwork", "");
            http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"n\",\"Options\":{\"com.docker.network.generic\":{\"test.fail\":\"bug\"}}}");
            http.post("/Nope.Nothing", "");
        }
        List<Seen> calls = List.copyOf(seen);
        assertEquals(List.of("Plugin.Activate", "NetworkDriver.CreateNetwork", "NetworkDriver.CreateNetwork",
                "NetworkDriver.CreateNetwork"), calls.stream().map(Seen::method).toList());
        assertEquals(List.of(PluginCallListener.Outcome.OK, PluginCallListener.Outcome.REFUSED,
                PluginCallListener.Outcome.MALFORMED, PluginCallListener.Outcome.INTERNAL_ERROR),
                calls.stream().map(Seen::outcome).toList());
        assertTrue(calls.stream().allMatch(s -> s.nanos() >= 0));
    }

    @Test
    void aThrowingListenerDoesNotBreakAnswers() throws Exception {
        RecordingDriver driver = new RecordingDriver();
        start(driver, PluginServerConfig.defaults().withListener((m, n, o) -> {
            throw new IllegalStateException("metrics broke");
        }));
        try (UnixHttp http = new UnixHttp(server.socketPath())) {
            assertEquals(200, http.post("/Plugin.Activate", "").status());
        }
    }

    @Test
    void manyConnectionsAtOnce() throws Exception {
        RecordingDriver driver = new RecordingDriver();
        start(driver, PluginServerConfig.defaults().withCallThreads(2));
        List<CompletableFuture<Integer>> all = new java.util.ArrayList<>();
        for (int c = 0; c < 16; c++) {
            int id = c;
            all.add(CompletableFuture.supplyAsync(() -> {
                try (UnixHttp http = new UnixHttp(server.socketPath())) {
                    int ok = 0;
                    for (int i = 0; i < 20; i++) {
                        if (http.post("/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"n" + id + "-" + i + "\"}").status() == 200) {
                            ok++;
                        }
                    }
                    return ok;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (CompletableFuture<Integer> f : all) {
            assertEquals(20, f.get(60, TimeUnit.SECONDS));
        }
        assertEquals(16 * 20, driver.calls.size());
    }
}
