package io.jweave.router.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/topology}, {@code /api/events} and the page's files, through a real {@link StatusServer}. */
class TopologyApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Short keepalives and few streams; events at most every 250 ms, as in the router. */
    private static final TopologyService.Settings SETTINGS = new TopologyService.Settings(50, 250, 600, 2, 1_000);

    @TempDir
    Path dir;
    private final AtomicReference<Topology.Facts> facts = new AtomicReference<>(TopologyTest.facts(List.of(), 0.4));
    private TopologyService topology;
    private StatusServer server;
    private final List<Sse> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        topology = new TopologyService(facts::get, SETTINGS, Clock.systemUTC()).start();
        Map<String, StatusServer.Endpoint> routes = new HashMap<>(topology.routes());
        routes.putAll(new UiFiles().routes());
        server = new StatusServer(dir.resolve("status.sock"), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), routes);
        server.start();
    }

    @AfterEach
    void stop() {
        clients.forEach(Sse::close);
        server.close();
        topology.close();
    }

    private String base() {
        return "http://127.0.0.1:" + server.httpAddress().getPort();
    }

    private void addContainer(String id, String ip) {
        facts.set(TopologyTest.facts(List.of(new Topology.EndpointFact(id, "host2", "blue", ip, "02:42:00:00:00:01",
                null, null)), 0.4));
    }

    @Test
    void apiTopologyAnswersTheWholePictureOnOneLine() throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(base() + "/api/topology").openConnection();
        assertEquals(200, c.getResponseCode());
        assertEquals("application/json", c.getContentType());
        assertEquals("no-store", c.getHeaderField("Cache-Control"));
        assertEquals("nosniff", c.getHeaderField("X-Content-Type-Options"));
        String body = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertFalse(body.contains("\n"), body);
        JsonNode t = JSON.readTree(body);
        assertEquals(1, t.get("version").asLong());
        assertEquals("host1", t.get("self").asText());
        assertEquals(3, t.get("hosts").size());
        assertEquals("vxlan", t.get("links").get(0).get("datapath").asText());
        assertEquals(3, t.get("containers").size());
        assertNotNull(t.get("generatedAt").asText());
        // also on the Unix socket, same version while nothing changed
        UnixHttp.Response viaUnix = UnixHttp.request(dir.resolve("status.sock"), "GET", "/api/topology");
        assertEquals(1, JSON.readTree(viaUnix.body()).get("version").asLong());
        addContainer("ep7", "100.64.0.7");
        assertEquals(2, JSON.readTree(UnixHttp.request(dir.resolve("status.sock"), "GET", "/api/topology").body())
                .get("version").asLong());
    }

    @Test
    void eventsStartAtOnceFollowChangesWithinASecondAndKeepTheConnectionAlive() throws Exception {
        long t0 = System.nanoTime();
        Sse sse = open();
        assertEquals(200, sse.conn.getResponseCode());
        assertEquals("text/event-stream", sse.conn.getContentType());
        assertEquals("no-cache", sse.conn.getHeaderField("Cache-Control"));
        Sse.Event first = sse.next(2_000);
        assertNotNull(first, "the first event comes at once");
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 1_000);
        assertEquals("topology", first.event());
        assertEquals("1", first.id());
        assertEquals(1, JSON.readTree(first.data()).get("version").asLong());
        assertEquals(1_000, sse.retry);

        long changed = System.nanoTime();
        addContainer("ep7", "100.64.0.7");
        Sse.Event second = sse.next(1_000);
        assertNotNull(second, "a change makes an event within 1 s");
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - changed) < 1_000);
        assertEquals("2", second.id());
        JsonNode t = JSON.readTree(second.data());
        assertTrue(t.get("containers").toString().contains("100.64.0.7"), second.data());

        assertNull(sse.next(1_000), "nothing changed, no event");
        assertTrue(sse.keepalives > 0, "a keepalive event when idle");
    }

    @Test
    void manyChangesAreBatchedToAtMostFourEventsASecond() throws Exception {
        Sse sse = open();
        assertNotNull(sse.next(2_000));
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_000);
        int i = 10;
        while (System.nanoTime() < end) {
            addContainer("ep" + i, "100.64.0." + i++);
            Thread.sleep(20);
        }
        Thread.sleep(600); // the last change arrives too
        List<Sse.Event> got = new ArrayList<>();
        for (Sse.Event e; (e = sse.next(100)) != null; ) {
            got.add(e);
        }
        assertTrue(got.size() >= 3 && got.size() <= 6, got.size() + " events for ~45 changes in 1 s");
        for (int k = 1; k < got.size(); k++) {
            assertTrue(got.get(k).at() - got.get(k - 1).at() >= TimeUnit.MILLISECONDS.toNanos(200),
                    "events at least ~250 ms apart");
        }
        JsonNode last = JSON.readTree(got.get(got.size() - 1).data());
        assertTrue(last.get("containers").toString().contains("100.64.0." + (i - 1)), "the last event has the latest picture");
    }

    @Test
    void streamsAreLimitedAndAClientThatGoesAwayFreesItsSlot() throws Exception {
        Sse a = open();
        Sse b = open();
        assertNotNull(a.next(2_000));
        assertNotNull(b.next(2_000));
        assertEquals(2, topology.streams());
        HttpURLConnection over = (HttpURLConnection) new URL(base() + "/api/events").openConnection();
        assertEquals(503, over.getResponseCode());
        String msg = new String(over.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String error = JSON.readTree(msg).get("error").asText();
        assertFalse(error.contains("\n"), error);
        assertTrue(error.startsWith("too many topology event streams (2 open)"), msg);

        a.close();
        long deadline = System.currentTimeMillis() + 3_000;
        while (topology.streams() > 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, topology.streams(), "the client's leaving freed its stream");
        Sse c = open();
        assertEquals(200, c.conn.getResponseCode());
        assertNotNull(c.next(2_000));
    }

    @Test
    void headOfTheEventsHoldsNoSlot() throws Exception {
        HttpURLConnection h = (HttpURLConnection) new URL(base() + "/api/events").openConnection();
        h.setRequestMethod("HEAD");
        assertEquals(200, h.getResponseCode());
        assertEquals("text/event-stream", h.getContentType());
        h.disconnect();
        long deadline = System.currentTimeMillis() + 3_000;
        while (topology.streams() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, topology.streams());
    }

    // ------------------------------------------------------------------ the page's files

    @Test
    void servesThePageWithItsTypesAndAStrictPolicy() throws Exception {
        for (String[] f : new String[][] {{"/", "text/html; charset=utf-8"}, {"/ui/index.html", "text/html; charset=utf-8"},
                {"/ui/app.js", "text/javascript; charset=utf-8"}, {"/ui/app.css", "text/css; charset=utf-8"},
                {"/ui/app.js?v=2", "text/javascript; charset=utf-8"}}) {
            HttpURLConnection c = (HttpURLConnection) new URL(base() + f[0]).openConnection();
            assertEquals(200, c.getResponseCode(), f[0]);
            assertEquals(f[1], c.getContentType(), f[0]);
            assertEquals("nosniff", c.getHeaderField("X-Content-Type-Options"), f[0]);
            String csp = c.getHeaderField("Content-Security-Policy");
            assertTrue(csp.startsWith("default-src 'self'"), csp);
            assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
            assertTrue(c.getInputStream().readAllBytes().length > 0, f[0]);
        }
        String index = new String(new URL(base() + "/").openStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(index.contains("<html"), index);
        // HEAD: the headers and the length, no body
        String head = raw("HEAD /ui/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        assertTrue(head.toLowerCase().contains("content-length: " + index.getBytes(StandardCharsets.UTF_8).length), head);
        assertTrue(head.endsWith("\r\n\r\n"), "no body: " + head);
    }

    @Test
    void refusesTraversalUnknownFilesDirectoriesAndOtherMethods() throws Exception {
        for (String p : List.of("/ui/../pom.xml", "/ui/%2e%2e/pom.xml", "/ui/%2E%2E%2Fpom.xml", "/ui/..%2fpom.xml",
                "/ui/io/../index.html", "/ui/./index.html", "/ui/.hidden.js", "/ui/", "/ui//index.html", "/ui/missing.js",
                "/ui/index.html/", "/ui/index.html%00.png", "/ui/%ZZ.js", "/ui/..\\pom.xml", "/ui/index", "/ui/x.class",
                "/ui/io/jweave/router/status/UiFiles.class", "/ui/%2fetc%2fpasswd")) {
            String r = raw("GET " + p + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 404"), p + " -> " + r);
            assertFalse(r.contains("<html"), p);
        }
        for (String m : List.of("POST", "PUT", "DELETE")) {
            for (String p : List.of("/", "/ui/app.js", "/api/topology", "/api/events")) {
                String r = raw(m + " " + p + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
                assertTrue(r.startsWith("HTTP/1.1 405"), m + " " + p + " -> " + r);
            }
        }
    }

    @Test
    void refusesOtherSitesAndRebindingNamesOnTheTcpListener() throws Exception {
        int port = server.httpAddress().getPort();
        String rebound = raw("GET /api/topology HTTP/1.1\r\nHost: evil.example:" + port + "\r\nConnection: close\r\n\r\n");
        assertTrue(rebound.startsWith("HTTP/1.1 403"), rebound);
        String csrf = raw("POST /api/topology HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nOrigin: http://evil.example\r\n"
                + "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
        assertTrue(csrf.startsWith("HTTP/1.1 403"), csrf);
        String same = raw("GET /api/topology HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nOrigin: http://127.0.0.1:" + port
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(same.startsWith("HTTP/1.1 200"), same);
        assertTrue(raw("GET / HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n").startsWith("HTTP/1.1 200"));
        assertTrue(raw("GET / HTTP/1.0\r\n\r\n").startsWith("HTTP/1.1 200"), "no Host at all");
        assertNull(StatusServer.foreign("[::1]:6784", null));
        assertNull(StatusServer.foreign("127.0.0.2", null));
        assertNotNull(StatusServer.foreign("127.0.0.1.evil.example", null));
        assertNotNull(StatusServer.foreign("[::2]:6784", null));
        assertNotNull(StatusServer.foreign("127.0.0.1:6784", "null"));
        // the Unix socket (the CLI, Host: jweave) is not concerned
        assertTrue(UnixHttp.request(dir.resolve("status.sock"), "GET", "/api/topology").ok());
    }

    @Test
    void servesEveryKnownTypeAndNoDirectory(@TempDir Path cp) throws Exception {
        Path base = Files.createDirectories(cp.resolve(UiFiles.BASE));
        Files.writeString(base.resolve("a.svg"), "<svg/>");
        Files.write(base.resolve("a.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Files.writeString(base.resolve("a.json"), "{}");
        Files.createDirectories(base.resolve("dir.js"));
        Files.createDirectories(base.resolve("img"));
        Files.writeString(base.resolve("img/b.svg"), "<svg/>");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {cp.toUri().toURL()}, null)) {
            UiFiles files = new UiFiles(loader);
            assertEquals("image/svg+xml", files.file("a.svg").contentType());
            assertEquals("image/png", files.file("a.png").contentType());
            assertEquals("application/json", files.file("a.json").contentType());
            assertEquals("image/svg+xml", files.file("img/b.svg").contentType());
            assertEquals(404, status(() -> files.file("dir.js")));
            assertEquals(404, status(() -> files.file("img")));
            assertEquals(404, status(() -> files.file("img/")));
        }
        // and from a jar: a directory entry is no file either
        Path jar = cp.resolve("ui.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry(UiFiles.BASE + "sub.js/"));
            out.closeEntry();
            out.putNextEntry(new java.util.jar.JarEntry(UiFiles.BASE + "app.js"));
            out.write("x()".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            UiFiles files = new UiFiles(loader);
            assertEquals("x()", new String(files.file("app.js").body(), StandardCharsets.UTF_8));
            assertEquals(404, status(() -> files.file("sub.js")));
        }
    }

    private static int status(Runnable r) {
        try {
            r.run();
            return 200;
        } catch (ApiException e) {
            return e.status();
        }
    }

    /** One request over a plain socket (nothing normalizes the path), the whole answer. */
    private String raw(String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.httpAddress().getPort())) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private Sse open() throws IOException {
        Sse s = new Sse(new URL(base() + "/api/events"));
        clients.add(s);
        return s;
    }

    /** A minimal EventSource: reads the stream on a thread, queues the events. */
    static final class Sse implements AutoCloseable {
        record Event(String id, String event, String data, long at) {
        }

        final HttpURLConnection conn;
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        volatile int keepalives;
        volatile long retry = -1;

        Sse(URL url) throws IOException {
            conn = (HttpURLConnection) url.openConnection();
            conn.setReadTimeout(30_000);
            if (conn.getResponseCode() != 200) {
                return;
            }
            InputStream in = conn.getInputStream();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String id = null;
                    String event = null;
                    StringBuilder data = new StringBuilder();
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.isEmpty()) {
                            if ("keepalive".equals(event)) {
                                keepalives++;
                            } else if (data.length() > 0) {
                                events.add(new Event(id, event, data.toString(), System.nanoTime()));
                            }
                            id = null;
                            event = null;
                            data.setLength(0);
                        } else if (line.startsWith("id: ")) {
                            id = line.substring(4);
                        } else if (line.startsWith("event: ")) {
                            event = line.substring(7);
                        } else if (line.startsWith("data: ")) {
                            data.append(line.substring(6));
                        } else if (line.startsWith("retry: ")) {
                            retry = Long.parseLong(line.substring(7));
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "sse-client");
            t.setDaemon(true);
            t.start();
        }

        Event next(long millis) throws InterruptedException {
            return events.poll(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            conn.disconnect();
        }
    }

}
