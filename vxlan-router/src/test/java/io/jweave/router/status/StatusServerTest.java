package io.jweave.router.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Map<String, StatusServer.Endpoint> routes() {
        return Map.of(
                "/status", StatusServer.Endpoint.json(() -> Map.of("name", "h1")),
                "/metrics", StatusServer.Endpoint.text(() -> "jweave_networks 2.0\n", "text/plain"),
                "/connect", StatusServer.Endpoint.post(body -> {
                    if (!body.has("peer")) {
                        throw ApiException.badRequest("needs {\"peer\": ...}");
                    }
                    if (body.get("peer").asText().equals("nobody")) {
                        throw ApiException.notFound("nobody is not a peer");
                    }
                    return Map.of("peer", body.get("peer").asText());
                }),
                "/boom", StatusServer.Endpoint.json(() -> {
                    throw new IllegalStateException("a bug");
                }));
    }

    private static JsonNode error(StatusServer.Reply r) throws IOException {
        assertEquals("application/json", r.contentType());
        return JSON.readTree(r.body());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void routesAndErrorsAnswerJson() throws IOException {
        StatusServer s = new StatusServer(Path.of("/nonexistent/status.sock"), routes());
        StatusServer.Reply ok = s.route("GET", "/status?x=1", new byte[0]);
        assertEquals(200, ok.status());
        assertEquals("h1", JSON.readTree(ok.body()).get("name").asText());

        StatusServer.Reply unknown = s.route("GET", "/nope", new byte[0]);
        assertEquals(404, unknown.status());
        assertTrue(error(unknown).get("error").asText().startsWith("no such endpoint: /nope (endpoints: /boom, /connect"),
                new String(unknown.body()));

        StatusServer.Reply method = s.route("GET", "/connect", new byte[0]);
        assertEquals(405, method.status());
        assertEquals("/connect takes POST, not GET", error(method).get("error").asText());

        StatusServer.Reply malformed = s.route("POST", "/connect", b("{\"peer\": "));
        assertEquals(400, malformed.status());
        assertTrue(error(malformed).get("error").asText().startsWith("malformed JSON body: "), new String(malformed.body()));

        StatusServer.Reply empty = s.route("POST", "/connect", new byte[0]);
        assertEquals(400, empty.status());
        assertEquals("POST /connect needs a JSON object body", error(empty).get("error").asText());

        StatusServer.Reply array = s.route("POST", "/connect", b("[1]"));
        assertEquals(400, array.status());
        assertTrue(error(array).get("error").asText().endsWith("got array"), new String(array.body()));

        StatusServer.Reply missing = s.route("POST", "/connect", b("{}"));
        assertEquals(400, missing.status());
        assertEquals("needs {\"peer\": ...}", error(missing).get("error").asText());

        StatusServer.Reply notFound = s.route("POST", "/connect", b("{\"peer\":\"nobody\"}"));
        assertEquals(404, notFound.status());

        StatusServer.Reply posted = s.route("POST", "/connect", b("{\"peer\":\"198.51.100.12\"}"));
        assertEquals(200, posted.status());
        assertEquals("198.51.100.12", JSON.readTree(posted.body()).get("peer").asText());

        StatusServer.Reply bug = s.route("GET", "/boom", new byte[0]);
        assertEquals(500, bug.status());
        assertTrue(error(bug).get("error").asText().contains("a bug"));

        StatusServer.Reply text = s.route("GET", "/metrics", new byte[0]);
        assertEquals("text/plain", text.contentType());
        assertEquals("jweave_networks 2.0\n", new String(text.body(), StandardCharsets.UTF_8));
    }

    @Test
    void refusesANonLoopbackHttpAddress() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StatusServer(
                Path.of("/tmp/x.sock"), new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 6784), routes()));
        assertTrue(e.getMessage().startsWith("--http-addr 0.0.0.0:6784 is not a loopback address"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StatusServer.requireLoopback(
                new InetSocketAddress(InetAddress.getByName("198.51.100.11"), 6784)));
        StatusServer.requireLoopback(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 6784));
    }

    @Test
    void reachesASocketWhosePathIsExactly107BytesWhichTheKernelTakesButTheJdkRefuses(@TempDir Path dir) throws Exception {
        // found when a build tree's training socket path came out at 107 bytes: the JDK refused to connect
        int pad = UnixHttp.MAX_SOCKET_PATH - dir.toString().length() - "/".length() - "/status.sock".length();
        Path deep = Files.createDirectories(dir.resolve("d".repeat(pad)));
        Path alias = Files.createSymbolicLink(Files.createTempDirectory("jw").resolve("d"), deep);
        try (StatusServer s = new StatusServer(alias.resolve("status.sock"), routes())) {
            s.start();
            Path exact = deep.resolve("status.sock");
            assertEquals(UnixHttp.MAX_SOCKET_PATH, exact.toString().length(), exact.toString());
            UnixHttp.Response r = UnixHttp.request(exact, "GET", "/status");
            assertTrue(r.ok(), r.statusLine());
        } finally {
            Files.deleteIfExists(alias);
            Files.deleteIfExists(alias.getParent());
        }
    }

    @Test
    void reachesASocketWhosePathIsLongerThanTheKernelTakes(@TempDir Path dir) throws Exception {
        // a data directory deep in the file system: its real path is too long for a socket address,
        // so the server binds through a short alias of the same directory
        Path d = dir;
        while (d.toString().length() <= UnixHttp.MAX_SOCKET_PATH) {
            d = d.resolve("a-rather-long-directory-name");
        }
        Path deep = Files.createDirectories(d);
        Path alias = Files.createSymbolicLink(Files.createTempDirectory("jw").resolve("d"), deep);
        try (StatusServer s = new StatusServer(alias.resolve("status.sock"), routes())) {
            s.start();
            Path longPath = deep.resolve("status.sock");
            assertTrue(longPath.toString().length() > UnixHttp.MAX_SOCKET_PATH, longPath.toString());
            UnixHttp.Response r = UnixHttp.request(longPath, "GET", "/status");
            assertTrue(r.ok(), r.statusLine());
            assertEquals("h1", JSON.readTree(r.body()).get("name").asText());
            IOException gone = assertThrows(IOException.class, () -> UnixHttp.request(deep.resolve("none.sock"), "GET", "/status"));
            assertTrue(gone.getMessage() == null || !gone.getMessage().contains("too long"), String.valueOf(gone.getMessage()));
        } finally {
            Files.deleteIfExists(alias);
            Files.deleteIfExists(alias.getParent());
        }
        // binding there directly is refused with a reason, not with the kernel's error
        try (StatusServer s = new StatusServer(deep.resolve("status.sock"), routes())) {
            IOException tooLong = assertThrows(IOException.class, s::start);
            assertTrue(tooLong.getMessage().contains("choose a shorter --data-dir"), tooLong.getMessage());
        }
        try (var leftovers = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().startsWith("jweave-sock-")
                    && p.toFile().lastModified() > System.currentTimeMillis() - 60_000), "temporary link directory removed");
        }
    }

    @Test
    void servesTheSameRoutesOnTheUnixSocketAndOnLoopbackTcp(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("status.sock");
        try (StatusServer s = new StatusServer(sock, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), routes())) {
            s.start();
            assertTrue(Files.exists(sock));
            UnixHttp.Response viaUnix = UnixHttp.request(sock, "POST", "/connect", "{\"peer\":\"h2\"}");
            assertTrue(viaUnix.ok(), viaUnix.statusLine());
            assertEquals("h2", JSON.readTree(viaUnix.body()).get("peer").asText());
            UnixHttp.Response unixMissing = UnixHttp.request(sock, "GET", "/missing");
            assertTrue(unixMissing.statusLine().startsWith("HTTP/1.1 404"), unixMissing.statusLine());
            assertTrue(StatusClient.errorOf(unixMissing).startsWith("no such endpoint: /missing"));

            int port = s.httpAddress().getPort();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertEquals("jweave_networks 2.0\n", metrics.body());
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/connect"))
                    .POST(HttpRequest.BodyPublishers.ofString("not json")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode());
            assertTrue(JSON.readTree(bad.body()).get("error").asText().startsWith("malformed JSON body"), bad.body());
        }
        assertTrue(Files.notExists(sock), "socket removed at close");
    }

    @Test
    void theClientSaysClearlyWhenNoRouterRuns(@TempDir Path dir) throws Exception {
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> StatusClient.get(dir, "/status"));
        assertEquals("no router is running (no status socket at " + dir.resolve("status.sock")
                + "); start one with: jweave launch", none.getMessage());
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> StatusClient.get(dir.resolve("nope"), "/status"));
        assertEquals("--data-dir " + dir.resolve("nope") + " does not exist; no router is running for it", missing.getMessage());
        Path file = Files.writeString(dir.resolve("file"), "x");
        IllegalStateException notDir = assertThrows(IllegalStateException.class, () -> StatusClient.get(file, "/status"));
        assertEquals("--data-dir " + file + " is not a directory", notDir.getMessage());
    }

    /** A stream of {@code chunks} lines, then (if {@code thenWait}) waiting until closed; counts its closes. */
    private static final class Lines implements StatusServer.Stream {
        final int chunks;
        final boolean thenWait;
        final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();

        Lines(int chunks, boolean thenWait) {
            this.chunks = chunks;
            this.thenWait = thenWait;
        }

        @Override
        public void writeTo(java.io.OutputStream out) throws IOException {
            for (int i = 0; i < chunks; i++) {
                out.write(("line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            if (thenWait) {
                try {
                    closed.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public java.util.Map<String, String> headers() {
            return Map.of("X-Test", "lines");
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            closed.countDown();
        }
    }

    @Test
    void streamsABodyWhileItIsWrittenAndStopsItWhenTheClientGoesAway(@TempDir Path dir) throws Exception {
        java.util.concurrent.atomic.AtomicReference<Lines> last = new java.util.concurrent.atomic.AtomicReference<>();
        Map<String, StatusServer.Endpoint> routes = Map.of("/lines", StatusServer.Endpoint.stream(q -> {
            if (!q.has("n")) {
                throw ApiException.notFound("no n");
            }
            Lines l = new Lines(q.get("n").asInt(), q.has("wait"));
            last.set(l);
            return l;
        }, "text/x-lines"));
        Path sock = dir.resolve("status.sock");
        try (StatusServer s = new StatusServer(sock, routes)) {
            s.start();
            // a complete stream: every chunk, then the end
            try (UnixHttp.Streamed r = StatusClient.stream(dir, "/lines?n=3")) {
                assertEquals("lines", r.header("x-test"));
                assertEquals("text/x-lines", r.header("Content-Type"));
                assertEquals("line 0\nline 1\nline 2\n", new String(r.body().readAllBytes(), StandardCharsets.US_ASCII));
            }
            assertEquals(1, last.get().closes.get(), "closed once when done");
            // a refusal is an ordinary error answer, nothing streamed
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> StatusClient.stream(dir, "/lines"));
            assertEquals("no n", refused.getMessage());
            // the client goes away while the stream waits for data: the stream is closed
            UnixHttp.Streamed r = StatusClient.stream(dir, "/lines?n=1&wait=1");
            byte[] first = r.body().readNBytes(7);
            assertEquals("line 0\n", new String(first, StandardCharsets.US_ASCII));
            Lines waiting = last.get();
            assertEquals(0, waiting.closes.get());
            r.close();
            assertTrue(waiting.closed.await(5, java.util.concurrent.TimeUnit.SECONDS), "the client's leaving closed the stream");
            // the server closing ends a stream too
            UnixHttp.Streamed r2 = StatusClient.stream(dir, "/lines?n=0&wait=1");
            Lines open = last.get();
            s.close();
            assertTrue(open.closed.await(5, java.util.concurrent.TimeUnit.SECONDS), "closing the server closed the stream");
            assertThrows(IOException.class, () -> r2.body().readAllBytes(), "a stream cut without its last chunk fails");
            r2.close();
        }
    }
}
