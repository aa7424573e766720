package io.jweave.router.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's own HTTP API (status, peers, metrics, connect/forget). Always served on a Unix
 * socket in the data directory (so the CLI finds the router of a data directory, with file
 * permissions as access control); optionally also on a loopback TCP address (so Prometheus and
 * curl can reach it). Both listeners answer the same routes.
 *
 * <p>Answers: JSON for read-only {@code GET} routes and for {@code POST} routes with a JSON body;
 * text for {@code /metrics}; a body produced while it is sent ({@link Stream}, chunked transfer
 * encoding, {@code Connection: close}) for {@code GET} routes made with {@link Endpoint#stream}. Every error is {@code {"error": "..."}} with a 4xx/5xx status: 404
 * for an unknown path, 405 for the wrong method, 400 for a malformed body or a request the router
 * refuses ({@link ApiException}, {@link IllegalArgumentException}), 500 for a bug.
 */
public final class StatusServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int MAX_BODY = 64 * 1024;

    /**
     * What a path answers. {@code GET} routes get their query string as a JSON object
     * ({@code ?name=web&ip=a&ip=b} gives {@code {"name": "web", "ip": ["a", "b"]}}, empty without one);
     * {@code POST} routes get the parsed JSON body (never null: an empty body is refused before).
     * A String result is sent as is.
     */
    public record Endpoint(String method, Function<JsonNode, ?> handler, String contentType, boolean prefix) {
        public Endpoint(String method, Function<JsonNode, ?> handler, String contentType) {
            this(method, handler, contentType, false);
        }

        /** {@code GET}, answering the supplier's value as JSON. */
        public static Endpoint json(Supplier<?> s) {
            return new Endpoint("GET", body -> s.get(), "application/json");
        }

        /** {@code GET}, answering text with its content type. */
        public static Endpoint text(Supplier<String> s, String contentType) {
            return new Endpoint("GET", body -> s.get(), contentType);
        }

        /** {@code POST} with a JSON object body, answering the function's value as JSON. */
        public static Endpoint post(Function<JsonNode, ?> f) {
            return new Endpoint("POST", f, "application/json");
        }

        /**
         * {@code GET}, answering a body written while it is sent: {@code open} gets the query (as for
         * {@link #json}) and either refuses (an {@link ApiException} becomes an ordinary error answer,
         * nothing is streamed) or returns the {@link Stream}, whose {@link Stream#writeTo} then runs on
         * a thread of its own, so that a long stream holds none of the workers that answer the other
         * routes.
         */
        public static Endpoint stream(Function<JsonNode, ? extends Stream> open, String contentType) {
            return new Endpoint("GET", open, contentType);
        }

        /**
         * {@code GET} of every path under its key, which ends with {@code /} ({@code "/ui/"} answers
         * {@code /ui/app.js}, {@code /ui/img/x.png}): {@code file} gets the rest of the path as it came
         * (still percent-encoded, without the query) and answers an {@link Asset}, or throws an
         * {@link ApiException} (404 for a file it does not have).
         */
        public static Endpoint files(Function<String, Asset> file) {
            return new Endpoint("GET", arg -> file.apply(arg.path(REST).asText()), null, true);
        }
    }

    /** The query field that holds, for an {@link Endpoint#files} route, the rest of the path. */
    static final String REST = "\u0000rest";

    /** An answer with its own content type and headers (a file of the topology page). */
    public record Asset(byte[] body, String contentType, Map<String, String> headers) {
    }

    /**
     * A response body produced while it is sent (a packet capture). The server sends the headers
     * (status 200, chunked), then calls {@link #writeTo} on a thread of its own; each
     * {@code flush()} of the stream it gets sends what was written as one chunk. When {@code writeTo}
     * returns the body ends (the last chunk) and the connection closes; when it throws, or returns because it was
     * closed, the connection closes without the last chunk (the client sees the body was cut short). When the client goes
     * away, {@link #close()} is called (from another thread, while {@code writeTo} may be waiting for
     * data) and writes fail with an {@link IOException}. {@code close()} is called in every case, also
     * for a {@code HEAD} request (which gets the headers only) and when the server closes.
     */
    public interface Stream extends AutoCloseable {
        /** Writes the body until it is complete or {@link #close()} is called. */
        void writeTo(java.io.OutputStream out) throws IOException;

        /** Extra response headers (sent before the body). */
        default Map<String, String> headers() {
            return Map.of();
        }

        /** Ends {@link #writeTo} early and frees what the stream holds. Idempotent; from any thread. */
        @Override
        void close();
    }

    private final Path socket;
    private final InetSocketAddress http;
    private final Map<String, Endpoint> endpoints;
    private EventLoopGroup group;
    /** Routes run here, not on the I/O thread: a slow one (dockerd for /endpoints) must not stall the others. */
    private java.util.concurrent.ExecutorService workers;
    private Channel unixChannel;
    private Channel tcpChannel;
    /** Streams being sent, closed with the server. */
    private final Set<Stream> streams = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Open client connections, closed by {@link #close()} while the event loop still runs. */
    private final io.netty.channel.group.ChannelGroup clients =
            new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);

    /** Serves {@code endpoints} on {@code socket} only. */
    public StatusServer(Path socket, Map<String, Endpoint> endpoints) {
        this(socket, null, endpoints);
    }

    /** Serves {@code endpoints} on {@code socket} and, if not null, on the loopback address {@code http}. */
    public StatusServer(Path socket, InetSocketAddress http, Map<String, Endpoint> endpoints) {
        if (http != null) {
            requireLoopback(http);
        }
        this.socket = socket;
        this.http = http;
        this.endpoints = Map.copyOf(endpoints);
    }

    public static Path socketIn(Path dataDir) {
        return dataDir.resolve("status.sock");
    }

    /**
     * Refuses a non-loopback address: the API has no authentication and {@code POST /connect} and
     * {@code /forget} change the mesh, so it must not be reachable from other hosts.
     */
    public static void requireLoopback(InetSocketAddress a) {
        if (a.getAddress() == null || !a.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("--http-addr " + a.getHostString() + ":" + a.getPort()
                    + " is not a loopback address; the status API has no authentication (POST /connect and /forget"
                    + " change the mesh), so it only listens on 127.0.0.0/8 or ::1 (scrape /metrics on this host)");
        }
    }

    /** The TCP address actually bound (the port is known after start when 0 was asked for), or null. */
    public InetSocketAddress httpAddress() {
        return tcpChannel == null ? null : (InetSocketAddress) tcpChannel.localAddress();
    }

    public void start() throws IOException {
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > UnixHttp.MAX_SOCKET_PATH) {
            throw new IOException("the status socket path " + socket + " is longer than the " + UnixHttp.MAX_SOCKET_PATH
                    + " bytes a socket address holds; choose a shorter --data-dir");
        }
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket); // only our own router writes here; a live one would hold the data dir
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("jweave-status", true),
                EpollIoHandler.newFactory());
        workers = java.util.concurrent.Executors.newFixedThreadPool(2, new DefaultThreadFactory("jweave-status-worker", true));
        ChannelInitializer<Channel> init = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                clients.add(ch); // removed by the group when it closes
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY), new Handler());
            }
        };
        try {
            unixChannel = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(init).bind(new DomainSocketAddress(socket.toString())).sync().channel();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
            if (http != null) {
                try {
                    tcpChannel = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                            .childHandler(init).bind(http).sync().channel();
                } catch (Exception e) {
                    close();
                    throw new IOException("cannot listen on --http-addr " + http.getHostString() + ":" + http.getPort()
                            + ": " + e.getMessage() + " (another router or program uses it? choose another with --http-addr)", e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while binding " + socket, e);
        }
        LOG.info("status API listening on {}{}", socket, tcpChannel == null ? "" : " and http://" + http.getHostString()
                + ":" + httpAddress().getPort());
    }

    /** One answer: status, content type, and a body, or a stream (then {@code body} is empty). */
    record Reply(int status, String contentType, byte[] body, Stream stream, Map<String, String> headers) {
        Reply(int status, String contentType, byte[] body) {
            this(status, contentType, body, null, Map.of());
        }

        Reply(int status, String contentType, byte[] body, Stream stream) {
            this(status, contentType, body, stream, Map.of());
        }
    }

    /** Routes one request (the whole logic of the server, without Netty; tests call it directly). */
    Reply route(String method, String uri, byte[] body) {
        String path = uri.split("\\?", 2)[0];
        Endpoint ep = endpoints.get(path);
        String rest = null;
        if (ep == null) {
            // the longest prefix route holding the path ("/ui/" for "/ui/js/app.js")
            String best = null;
            for (Map.Entry<String, Endpoint> e : endpoints.entrySet()) {
                if (e.getValue().prefix() && path.startsWith(e.getKey()) && (best == null || e.getKey().length() > best.length())) {
                    best = e.getKey();
                }
            }
            if (best != null) {
                ep = endpoints.get(best);
                rest = path.substring(best.length());
            }
        }
        if (ep == null) {
            return error(404, "no such endpoint: " + path + " (endpoints: " + String.join(", ", new TreeSet<>(endpoints.keySet())) + ")");
        }
        if (!ep.method().equals(method) && !("HEAD".equals(method) && "GET".equals(ep.method()))) {
            return error(405, path + " takes " + ep.method() + ", not " + method);
        }
        JsonNode arg = queryOf(uri);
        if (rest != null) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) arg).put(REST, rest);
        }
        if ("POST".equals(ep.method())) {
            if (body.length == 0) {
                return error(400, "POST " + path + " needs a JSON object body");
            }
            try {
                arg = JSON.readTree(body);
            } catch (IOException e) {
                return error(400, "malformed JSON body: " + firstLine(e.getMessage()));
            }
            if (arg == null || !arg.isObject()) {
                return error(400, "POST " + path + " needs a JSON object body, got " + (arg == null ? "nothing" : arg.getNodeType().toString().toLowerCase()));
            }
        }
        try {
            Object v = ep.handler().apply(arg);
            if (v instanceof Stream st) {
                return new Reply(200, ep.contentType(), new byte[0], st);
            }
            if (v instanceof Asset a) {
                return new Reply(200, a.contentType(), a.body(), null, a.headers());
            }
            byte[] out = v instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(v);
            return new Reply(200, ep.contentType(), out);
        } catch (ApiException e) {
            return error(e.status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        } catch (Exception e) {
            LOG.warn("status endpoint {} failed", path, e);
            return error(500, path + " failed: " + e);
        }
    }

    /**
     * Why a request on the TCP listener is refused, or null. A browser on this host (or at the end of
     * an {@code ssh -L}) also runs other sites' scripts: a page elsewhere must not read the API through
     * a DNS name rebound to 127.0.0.1 (its {@code Host} is that name), nor send {@code POST /connect}
     * (its {@code Origin} is another site). Curl, Prometheus and the topology page itself pass.
     */
    static String foreign(String host, String origin) {
        if (host != null && !loopbackName(host)) {
            return "Host " + host + " is not a loopback address; open the page as http://127.0.0.1:PORT/";
        }
        if (origin != null && !(host != null && origin.equalsIgnoreCase("http://" + host))) {
            return "requests from another site (Origin " + origin + ") are refused";
        }
        return null;
    }

    private static boolean loopbackName(String hostHeader) {
        String h = hostHeader.trim().toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 && h.substring(1, end).equals("::1");
        }
        int colon = h.lastIndexOf(':');
        if (colon >= 0) {
            h = h.substring(0, colon);
        }
        return h.equals("localhost") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    /** The query string as a JSON object: one value as text, several as an array. */
    private static JsonNode queryOf(String uri) {
        com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode();
        new io.netty.handler.codec.http.QueryStringDecoder(uri).parameters().forEach((k, v) -> {
            if (v.size() == 1) {
                o.put(k, v.get(0));
            } else {
                v.forEach(o.putArray(k)::add);
            }
        });
        return o;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static Reply error(int status, String message) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("error", message);
        try {
            return new Reply(status, "application/json", JSON.writeValueAsBytes(m));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean ok = req.decoderResult().isSuccess();
            String failure = ok ? null : String.valueOf(req.decoderResult().cause());
            String method = req.method().name();
            String uri = req.uri();
            byte[] body = ByteBufUtil.getBytes(req.content());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            String foreign = ctx.channel() instanceof io.netty.channel.socket.SocketChannel
                    ? foreign(req.headers().get(HttpHeaderNames.HOST), req.headers().get(HttpHeaderNames.ORIGIN)) : null;
            try {
                workers.execute(() -> answer(ctx, !ok ? error(400, "malformed HTTP request: " + failure)
                                : foreign != null ? error(403, foreign) : route(method, uri, body),
                        "HEAD".equals(method), keepAlive));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                ctx.close(); // closing
            }
        }

        private void answer(ChannelHandlerContext ctx, Reply r, boolean head, boolean keepAlive) {
            if (r.stream() != null) {
                stream(ctx.channel(), r, head);
                return;
            }
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                    Unpooled.wrappedBuffer(head ? new byte[0] : r.body()));
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
            resp.headers().set("X-Content-Type-Options", "nosniff");
            r.headers().forEach((k, v) -> resp.headers().set(k, v));
            HttpUtil.setContentLength(resp, r.body().length); // also for HEAD: the length GET would send
            HttpUtil.setKeepAlive(resp, keepAlive);
            var f = ctx.writeAndFlush(resp);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Sends a {@link Stream}: headers now, the body from a thread of its own, then the last chunk and close. */
    private void stream(Channel ch, Reply r, boolean head) {
        Stream st = r.stream();
        streams.add(st);
        ch.closeFuture().addListener(f -> closeStream(st)); // the client went away, or the server closes
        HttpResponse resp = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        resp.headers().set("X-Content-Type-Options", "nosniff");
        st.headers().forEach((k, v) -> resp.headers().set(k, v));
        HttpUtil.setKeepAlive(resp, false);
        if (head) {
            closeStream(st);
            HttpUtil.setContentLength(resp, 0);
            ch.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        HttpUtil.setTransferEncodingChunked(resp, true);
        ch.writeAndFlush(resp);
        Thread t = new Thread(() -> {
            boolean complete = false;
            try (ChannelOutputStream out = new ChannelOutputStream(ch)) {
                st.writeTo(out);
                out.flush();
                complete = streams.contains(st); // not if it returned because it was closed (server closing)
            } catch (IOException e) {
                LOG.debug("stream to {} ended: {}", ch.remoteAddress(), e.toString());
            } catch (RuntimeException e) {
                LOG.warn("stream failed", e);
            } finally {
                closeStream(st);
                if (complete && ch.isActive()) {
                    ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
                } else {
                    ch.close(); // without the last chunk: the client sees the body was cut short
                }
            }
        }, "jweave-stream");
        t.setDaemon(true);
        t.start();
    }

    /** Closes a stream once, whoever asks first (its thread, the channel's close, the server's close). */
    private void closeStream(Stream st) {
        if (!streams.remove(st)) {
            return;
        }
        try {
            st.close();
        } catch (RuntimeException e) {
            LOG.warn("closing a stream failed", e);
        }
    }

    /**
     * What a {@link Stream} writes to: bytes are gathered until {@code flush()}, which sends them as
     * one chunk. Runs on the stream's own thread, never on the event loop, so it may wait: a client
     * that reads slower than the stream writes makes {@code flush()} wait until the chunk is out
     * (the server never queues more than one unsent chunk per stream). Fails once the channel is gone.
     */
    static final class ChannelOutputStream extends java.io.OutputStream {
        private final Channel ch;
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

        ChannelOutputStream(Channel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (!ch.isActive()) {
                throw new IOException("the client went away");
            }
            pending.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            if (pending.size() == 0) {
                return;
            }
            if (!ch.isActive()) {
                throw new IOException("the client went away");
            }
            var f = ch.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(pending.toByteArray())));
            pending.reset();
            if (!ch.isWritable()) {
                f.awaitUninterruptibly();
            }
            if (f.isDone() && !f.isSuccess()) {
                throw new IOException("the client went away (" + f.cause() + ")");
            }
        }
    }

    @Override
    public void close() {
        for (Stream st : List.copyOf(streams)) {
            closeStream(st);
        }
        for (Channel c : new Channel[] {unixChannel, tcpChannel}) {
            if (c != null) {
                c.close().awaitUninterruptibly();
            }
        }
        // Clients too, before the event loop goes: a stream's own thread closes its connection when the stream
        // ends, but a close asked of a loop that has already terminated never happens, and the client would
        // wait for the rest of the body forever.
        clients.close().awaitUninterruptibly(2, java.util.concurrent.TimeUnit.SECONDS);
        unixChannel = null;
        tcpChannel = null;
        if (workers != null) {
            workers.shutdownNow();
            workers = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
            group = null;
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", socket, e.toString());
        }
    }
}
