package io.jweave.ui;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for the router in the page's tests: serves the page from the classpath the way the router
 * will ({@code GET /}, {@code GET /ui/<file>}, with {@code Content-Security-Policy: default-src 'self'}),
 * a fixture {@code /api/topology} and {@code /report}, and an {@code /api/events} stream the test drives:
 * {@link #push} sends an event to every open stream, {@link #closeStreams} ends them, {@link #accepting}
 * false holds new stream requests unanswered, {@link #silent} true answers them but sends no event.
 */
final class PageServer implements AutoCloseable {
    static final String CSP = "default-src 'self'";
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "svg", "image/svg+xml", "png", "image/png");
    private static final String CLOSE = "\u0000close";

    private final HttpServer server;
    private final ExecutorService pool;
    private final List<BlockingQueue<String>> streams = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private volatile String topology;
    private volatile String report;
    private volatile boolean accepting = true;
    private volatile boolean silent;
    private volatile boolean stopped;
    final AtomicInteger streamRequests = new AtomicInteger();
    /** How often an idle stream gets a keepalive comment (a write is also how a closed stream is noticed). */
    volatile long keepaliveMillis = 15_000;

    PageServer(String topology, String report) throws IOException {
        this.topology = topology;
        this.report = report;
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "page-server");
            t.setDaemon(true);
            return t;
        });
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(pool);
        server.createContext("/", this::staticFile);
        server.createContext("/api/topology", ex -> send(ex, 200, "application/json", this.topology));
        server.createContext("/report", ex -> send(ex, 200, "application/json", this.report));
        server.createContext("/api/events", this::events);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** Makes {@code json} the current topology and sends it to every open stream. */
    void push(String json) {
        topology = json;
        String event = event(json);
        for (BlockingQueue<String> q : streams) {
            q.add(event);
        }
    }

    void report(String json) {
        report = json;
    }

    /** Ends every open stream (the browser's EventSource then reconnects). */
    void closeStreams() {
        for (BlockingQueue<String> q : streams) {
            q.add(CLOSE);
        }
    }

    int openStreams() {
        return streams.size();
    }

    void accepting(boolean on) {
        synchronized (gate) {
            accepting = on;
            gate.notifyAll();
        }
    }

    void silent(boolean on) {
        silent = on;
    }

    private static String event(String json) {
        String id = json.replaceAll("(?s).*?\"version\"\\s*:\\s*(\\d+).*", "$1");
        return "event: topology\nid: " + id + "\ndata: " + json.replace("\n", "") + "\n\n";
    }

    private void events(HttpExchange ex) throws IOException {
        streamRequests.incrementAndGet();
        try (ex) {
            synchronized (gate) {
                while (!accepting && !stopped) {
                    try {
                        gate.wait(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            if (stopped) {
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.getResponseHeaders().set("Content-Security-Policy", CSP);
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            BlockingQueue<String> q = new LinkedBlockingQueue<>();
            streams.add(q);
            try {
                write(out, "retry: 300\n\n");
                if (!silent) {
                    write(out, event(topology));
                }
                while (!stopped) {
                    String next = q.poll(keepaliveMillis, TimeUnit.MILLISECONDS);
                    if (next == null) {
                        write(out, ": keepalive\n\n");
                    } else if (next.equals(CLOSE)) {
                        break;
                    } else {
                        write(out, next);
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the browser went away
            } finally {
                streams.remove(q);
            }
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void staticFile(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String name = path.equals("/") ? "index.html" : path.startsWith("/ui/") ? path.substring(4) : null;
            if (name == null || name.isEmpty() || name.contains("..") || name.contains("/")) {
                send(ex, 404, "text/plain", "not found");
                return;
            }
            try (InputStream in = PageServer.class.getResourceAsStream("/io/jweave/ui/" + name)) {
                if (in == null) {
                    send(ex, 404, "text/plain", "not found");
                    return;
                }
                byte[] body = in.readAllBytes();
                String ext = name.substring(name.lastIndexOf('.') + 1);
                ex.getResponseHeaders().set("Content-Type", TYPES.getOrDefault(ext, "application/octet-stream"));
                ex.getResponseHeaders().set("Content-Security-Policy", CSP);
                ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        }
    }

    private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
        try (ex) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type.contains("charset") ? type : type + "; charset=utf-8");
            ex.getResponseHeaders().set("Content-Security-Policy", CSP);
            ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            ex.sendResponseHeaders(code, b.length);
            ex.getResponseBody().write(b);
        }
    }

    @Override
    public void close() {
        stopped = true;
        accepting(true);
        closeStreams();
        server.stop(0);
        pool.shutdownNow();
    }
}
