package io.jweave.router.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.netty.bootstrap.ServerBootstrap;
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
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's own read-only HTTP API, on a Unix socket in its data directory (so the CLI finds
 * the router of a data directory, and nothing listens on the network). {@code GET /status} answers
 * JSON; more endpoints are registered as suppliers of JSON-serialisable values or plain text.
 */
public final class StatusServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What a path answers: a JSON value, or text with its content type. */
    public record Endpoint(Supplier<?> body, String contentType) {
        public static Endpoint json(Supplier<?> s) {
            return new Endpoint(s, "application/json");
        }

        public static Endpoint text(Supplier<String> s, String contentType) {
            return new Endpoint(s, contentType);
        }
    }

    /**
     * A route that takes parameters from the query string ({@code ?ip=..&name=..}) and may change
     * something (then it is called with POST). An {@link IllegalArgumentException} is the user's
     * error: answered 400 with its message.
     */
    public interface Action {
        Object handle(String method, Map<String, List<String>> query);
    }

    private final Path socket;
    private final Map<String, Endpoint> endpoints;
    private final Map<String, Action> actions;
    private EventLoopGroup group;
    private Channel channel;

    public StatusServer(Path socket, Map<String, Endpoint> endpoints) {
        this(socket, endpoints, Map.of());
    }

    public StatusServer(Path socket, Map<String, Endpoint> endpoints, Map<String, Action> actions) {
        this.socket = socket;
        this.endpoints = Map.copyOf(endpoints);
        this.actions = Map.copyOf(actions);
    }

    public static Path socketIn(Path dataDir) {
        return dataDir.resolve("status.sock");
    }

    public void start() throws IOException {
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket); // only our own router writes here; a live one would hold the data dir
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("jweave-status", true),
                EpollIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Handler());
                    }
                });
        try {
            channel = b.bind(new DomainSocketAddress(socket.toString())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + socket, e);
        }
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        LOG.info("status API listening on {}", socket);
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = req.uri().split("\\?", 2)[0];
            Endpoint ep = endpoints.get(path);
            Action action = actions.get(path);
            HttpResponseStatus status;
            String type = "application/json";
            byte[] body;
            if (action != null) {
                try {
                    Map<String, List<String>> query = new QueryStringDecoder(req.uri()).parameters();
                    body = JSON.writeValueAsBytes(action.handle(req.method().name(), query));
                    status = HttpResponseStatus.OK;
                } catch (IllegalArgumentException e) {
                    status = HttpResponseStatus.BAD_REQUEST;
                    body = error(e.getMessage());
                } catch (Exception e) {
                    LOG.warn("status action {} failed: {}", path, e.toString());
                    status = HttpResponseStatus.INTERNAL_SERVER_ERROR;
                    body = error(String.valueOf(e.getMessage()));
                }
            } else if (ep == null) {
                status = HttpResponseStatus.NOT_FOUND;
                body = ("{\"error\":\"no such endpoint: " + path.replace("\"", "") + "\"}").getBytes(StandardCharsets.UTF_8);
            } else if (!HttpMethod.GET.equals(req.method())) {
                status = HttpResponseStatus.METHOD_NOT_ALLOWED;
                body = "{\"error\":\"only GET\"}".getBytes(StandardCharsets.UTF_8);
            } else {
                try {
                    Object v = ep.body().get();
                    type = ep.contentType();
                    body = v instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(v);
                    status = HttpResponseStatus.OK;
                } catch (Exception e) {
                    LOG.warn("status endpoint {} failed: {}", path, e.toString());
                    status = HttpResponseStatus.INTERNAL_SERVER_ERROR;
                    body = ("{\"error\":\"" + String.valueOf(e.getMessage()).replace("\"", "'") + "\"}")
                            .getBytes(StandardCharsets.UTF_8);
                }
            }
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            HttpUtil.setContentLength(resp, body.length);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(resp, keepAlive);
            var f = ctx.writeAndFlush(resp);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    private static byte[] error(String message) {
        try {
            return JSON.writeValueAsBytes(Map.of("error", message == null ? "" : message));
        } catch (java.io.IOException e) {
            return "{\"error\":\"\"}".getBytes(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", socket, e.toString());
        }
    }
}
