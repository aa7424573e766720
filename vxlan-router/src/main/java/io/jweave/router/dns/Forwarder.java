package io.jweave.router.dns;

import static io.jweave.router.dns.DnsWire.FLAG_QR;
import static io.jweave.router.dns.DnsWire.FLAG_TC;
import static io.jweave.router.dns.DnsWire.HEADER;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Forwards queries to the upstream resolvers, for the clients of one event loop (every method runs on
 * that loop, so no locking). One UDP socket per loop, created in the namespace of the thread that built
 * the server; upstream TCP connections are made from the loop thread, which lives in that namespace too.
 * Each forwarded query gets a fresh random ID; an answer is accepted only from the upstream it was sent
 * to with that ID. Upstreams are tried in order, the next one after a timeout or an error; when all
 * failed the client gets SERVFAIL.
 */
final class Forwarder {
    /** Bound on queries waiting for an upstream, per loop; beyond it clients get SERVFAIL at once. */
    static final int MAX_PENDING = 4096;

    private final EventLoop loop;
    private final List<InetSocketAddress> upstreams;
    private final long timeoutNanos;
    private final DnsStats stats;
    private final IntObjectHashMap<Pending> pending = new IntObjectHashMap<>();
    private final Channel udp;
    private final ByteBufAllocator alloc;

    private static final class Pending {
        int id;
        int clientId;
        ByteBuf query;
        int questionEnd;
        Reply reply;
        int upstream;
        boolean tcp;
        int attempt;
        boolean done;
        ScheduledFuture<?> timer;
        Channel conn;
    }

    /** Must be called in the namespace the upstream sockets belong in (it creates the UDP socket). */
    Forwarder(EventLoop loop, List<InetSocketAddress> upstreams, Duration timeout, DnsStats stats, ByteBufAllocator alloc) {
        this.alloc = alloc;
        this.loop = loop;
        this.upstreams = List.copyOf(upstreams);
        this.timeoutNanos = timeout.toNanos();
        this.stats = stats;
        ChannelFuture f = new Bootstrap().group(loop).channel(EpollDatagramChannel.class)
                .option(ChannelOption.ALLOCATOR, alloc)
                // an upstream may ignore the EDNS0 size we pass on: read any datagram whole
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(65536))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                        onUdpAnswer(p);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        // ICMP errors and the like: the timeout moves on to the next upstream
                    }
                })
                .bind(new InetSocketAddress(0)).syncUninterruptibly();
        this.udp = f.channel();
    }

    void close() {
        udp.close().syncUninterruptibly();
        loop.execute(() -> {
            for (Pending p : new ArrayList<>(pending.values())) {
                finish(p);
            }
        });
    }

    /** Forwards the query {@code msg} (parsed into {@code q}); the answer goes to {@code reply}. */
    void forward(ByteBuf msg, DnsWire.Query q, Reply reply, Answerer answerer) {
        if (upstreams.isEmpty() || pending.size() >= MAX_PENDING) {
            reply.send(answerer.servfail(reply.channel.alloc(), msg, q, 0));
            return;
        }
        stats.forwarded.increment();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int id;
        do {
            id = rnd.nextInt(65536);
        } while (pending.containsKey(id));
        Pending p = new Pending();
        p.id = id;
        p.clientId = q.id;
        p.questionEnd = q.questionEnd;
        p.reply = reply;
        p.tcp = reply.tcp();
        p.query = udp.alloc().directBuffer(msg.readableBytes()).writeBytes(msg, msg.readerIndex(), msg.readableBytes());
        p.query.setShort(0, id);
        pending.put(id, p);
        attempt(p);
    }

    private void attempt(Pending p) {
        int a = ++p.attempt;
        if (p.upstream >= upstreams.size()) {
            sendFailure(p);
            return;
        }
        InetSocketAddress u = upstreams.get(p.upstream);
        p.timer = loop.schedule(() -> failed(p, a), timeoutNanos, TimeUnit.NANOSECONDS);
        if (p.tcp) {
            connect(p, u, a);
        } else {
            udp.writeAndFlush(new DatagramPacket(p.query.retainedDuplicate(), u)).addListener(f -> {
                if (!f.isSuccess()) {
                    failed(p, a);
                }
            });
        }
    }

    private void failed(Pending p, int a) {
        if (p.done || p.attempt != a) {
            return;
        }
        stats.forwardErrors.increment();
        stopAttempt(p);
        p.upstream++;
        p.tcp = p.reply.tcp();
        attempt(p);
    }

    private void stopAttempt(Pending p) {
        if (p.timer != null) {
            p.timer.cancel(false);
            p.timer = null;
        }
        if (p.conn != null) {
            p.conn.close();
            p.conn = null;
        }
    }

    private void onUdpAnswer(DatagramPacket dp) {
        ByteBuf c = dp.content();
        if (c.readableBytes() < HEADER) {
            return;
        }
        Pending p = pending.get(c.getUnsignedShort(c.readerIndex()));
        if (p == null || p.tcp || !sameEndpoint(dp.sender(), upstreams.get(p.upstream))) {
            return;
        }
        int flags = c.getUnsignedShort(c.readerIndex() + 2);
        if ((flags & FLAG_QR) == 0) {
            return;
        }
        if ((flags & FLAG_TC) != 0) {
            // The upstream cut its answer: ask the same upstream again over TCP.
            stopAttempt(p);
            p.tcp = true;
            attempt(p);
            return;
        }
        deliver(p, c);
    }

    private static boolean sameEndpoint(InetSocketAddress a, InetSocketAddress b) {
        return a != null && a.getPort() == b.getPort() && a.getAddress().equals(b.getAddress());
    }

    private void connect(Pending p, InetSocketAddress u, int a) {
        Bootstrap b = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(65535 + 2, 0, 2, 0, 2),
                                new SimpleChannelInboundHandler<ByteBuf>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                                        if (p.done || p.attempt != a || frame.readableBytes() < HEADER
                                                || frame.getUnsignedShort(frame.readerIndex()) != p.id
                                                || (frame.getUnsignedShort(frame.readerIndex() + 2) & FLAG_QR) == 0) {
                                            return;
                                        }
                                        deliver(p, frame);
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        failed(p, a);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }
                                });
                    }
                });
        ChannelFuture cf = b.connect(u);
        p.conn = cf.channel();
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                failed(p, a);
                return;
            }
            if (p.done || p.attempt != a) {
                cf.channel().close();
                return;
            }
            Channel ch = cf.channel();
            ch.write(ch.alloc().ioBuffer(2).writeShort(p.query.readableBytes()));
            ch.writeAndFlush(p.query.retainedDuplicate());
        });
    }

    /** Relays the upstream answer {@code resp} (not owned) to the client, under the client's ID. */
    private void deliver(Pending p, ByteBuf resp) {
        Reply r = p.reply;
        ByteBuf out;
        if (resp.readableBytes() > r.limit()) {
            // Too big for the client's UDP: header and question with TC, the client retries over TCP.
            stats.truncated.increment();
            int flags = resp.getUnsignedShort(resp.readerIndex() + 2) | FLAG_TC;
            out = r.channel.alloc().ioBuffer(p.questionEnd);
            DnsWire.writeHeader(out, p.clientId, flags, 1, 0, 0, 0);
            out.writeBytes(p.query, HEADER, p.questionEnd - HEADER);
        } else {
            out = r.channel.alloc().ioBuffer(resp.readableBytes()).writeBytes(resp, resp.readerIndex(), resp.readableBytes());
            out.setShort(0, p.clientId);
        }
        finish(p);
        r.send(out);
    }

    private void sendFailure(Pending p) {
        stats.servfail.increment();
        ByteBuf out = p.reply.channel.alloc().ioBuffer(p.questionEnd);
        int qflags = p.query.getUnsignedShort(2);
        DnsWire.writeHeader(out, p.clientId, DnsWire.responseFlags(qflags, false, false, DnsWire.SERVFAIL), 1, 0, 0, 0);
        out.writeBytes(p.query, HEADER, p.questionEnd - HEADER);
        Reply r = p.reply;
        finish(p);
        r.send(out);
    }

    private void finish(Pending p) {
        if (p.done) {
            return;
        }
        p.done = true;
        stopAttempt(p);
        pending.remove(p.id);
        p.query.release();
        p.query = null;
    }
}
