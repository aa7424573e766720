package io.jweave.plugin;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One per connection. Turns complete HTTP requests into dispatcher calls on the call executor and
 * writes the answers back in request order. The event loop never runs a driver call: it only queues,
 * hands off and writes. While a call is running the connection stops reading (a client that
 * pipelines waits; calls of one connection never run concurrently or out of order).
 */
final class PluginHttpHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PluginHttpHandler.class);

    static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1.2+json";

    /** Sent up the pipeline by {@link BoundedAggregator} instead of an oversized request. */
    record Oversized(HttpVersion version, boolean keepAlive, int limit) {
    }

    /**
     * A request waiting its turn: either a call to dispatch ({@code method} set) or an answer
     * already known ({@code reply} set).
     */
    private record Pending(String method, byte[] body, PluginDispatcher.Reply reply,
                           HttpVersion version, boolean keepAlive, long receivedNanos) {
    }

    private final PluginDispatcher dispatcher;
    private final Executor calls;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean busy;
    private boolean closing;

    PluginHttpHandler(PluginDispatcher dispatcher, Executor calls) {
        this.dispatcher = dispatcher;
        this.calls = calls;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof FullHttpRequest request) {
                enqueue(ctx, toPending(request));
            } else if (msg instanceof Oversized o) {
                enqueue(ctx, new Pending(null, null,
                        dispatcher.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code(),
                                "request body larger than " + o.limit() + " bytes"),
                        o.version(), o.keepAlive(), System.nanoTime()));
            } else {
                log.debug("ignoring unexpected message {}", msg.getClass().getName());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private Pending toPending(FullHttpRequest request) {
        long now = System.nanoTime();
        HttpVersion version = request.protocolVersion();
        if (!request.decoderResult().isSuccess()) {
            Throwable cause = request.decoderResult().cause();
            return new Pending(null, null, dispatcher.error(HttpResponseStatus.BAD_REQUEST.code(),
                    "bad HTTP request: " + (cause == null ? "undecodable" : cause.getMessage())),
                    version, false, now);
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String path = new QueryStringDecoder(request.uri()).path();
        String method = dispatcher.methodFor(path);
        if (method == null) {
            return new Pending(null, null, dispatcher.notFound(path), version, keepAlive, now);
        }
        if (!HttpMethod.POST.equals(request.method())) {
            return new Pending(null, null, dispatcher.error(HttpResponseStatus.METHOD_NOT_ALLOWED.code(),
                    request.method() + " " + path + ": plugin methods take POST"), version, keepAlive, now);
        }
        return new Pending(method, ByteBufUtil.getBytes(request.content()), null, version, keepAlive, now);
    }

    private void enqueue(ChannelHandlerContext ctx, Pending pending) {
        if (closing) {
            return;
        }
        queue.add(pending);
        if (!busy) {
            next(ctx);
        }
    }

    /** Runs on the event loop: answers queued requests in order until one needs the executor. */
    private void next(ChannelHandlerContext ctx) {
        Pending p;
        while ((p = queue.poll()) != null) {
            if (p.reply() != null) {
                if (!write(ctx, p, p.reply(), false)) {
                    return;
                }
                continue;
            }
            busy = true;
            ctx.channel().config().setAutoRead(false);
            Pending call = p;
            try {
                calls.execute(() -> runCall(ctx, call));
            } catch (RejectedExecutionException e) {
                busy = false;
                write(ctx, call, dispatcher.error(HttpResponseStatus.SERVICE_UNAVAILABLE.code(),
                        "jweave plugin server is shutting down"), true);
            }
            return;
        }
        busy = false;
        if (!closing) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Runs on the call executor. */
    private void runCall(ChannelHandlerContext ctx, Pending call) {
        PluginDispatcher.Reply reply = dispatcher.dispatch(call.method(), call.body(), call.receivedNanos());
        try {
            ctx.executor().execute(() -> {
                busy = false;
                if (write(ctx, call, reply, false)) {
                    next(ctx);
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("{}: answer dropped, server is shutting down", call.method());
        }
    }

    /** Writes one answer; returns whether the connection stays open for more. */
    private boolean write(ChannelHandlerContext ctx, Pending p, PluginDispatcher.Reply reply, boolean forceClose) {
        boolean keepAlive = p.keepAlive() && !forceClose;
        FullHttpResponse response = new DefaultFullHttpResponse(
                p.version() == null ? HttpVersion.HTTP_1_1 : p.version(),
                HttpResponseStatus.valueOf(reply.status()),
                Unpooled.wrappedBuffer(reply.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
        HttpUtil.setContentLength(response, reply.body().length);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response, ctx.voidPromise());
            return true;
        }
        closing = true;
        queue.clear();
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        return false;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closing = true;
        queue.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("plugin connection failed: {}", cause.toString());
        ctx.close();
    }

    /**
     * An aggregator that answers oversized requests with 413 + {@code Err}, in request order. The
     * aggregator then discards the rest of that body, so a keep-alive connection stays usable and a
     * client still writing its body does not hit a reset.
     */
    static final class BoundedAggregator extends HttpObjectAggregator {
        private final int limit;

        BoundedAggregator(int limit) {
            super(limit);
            this.limit = limit;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            ctx.fireChannelRead(new Oversized(oversized.protocolVersion(), HttpUtil.isKeepAlive(oversized), limit));
        }
    }
}
