package io.jweave.router.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's DNS server: answers names of the jweave domain from a {@link DnsRegistry}, scoped to the
 * networks of the asking container, and forwards everything else to upstream resolvers.
 *
 * <p>One server has its own epoll event loops (one per core, at most 4, by default) and a forwarder per loop, whose
 * sockets are created when the server is constructed, in the network namespace of the constructing
 * thread (the router's). Each {@link #listen} binds UDP (one SO_REUSEPORT socket per loop) and TCP in
 * the namespace of the thread calling it, so a caller inside {@code NetNs.call} serves that namespace.
 * Nothing blocks on the loops; nothing is logged per query.
 */
public final class DnsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsServer.class);

    /** Largest UDP query read whole (the EDNS0 payload cap); longer datagrams are cut and fail to parse. */
    static final int MAX_QUERY = DnsWire.UDP_MAX;
    /** TCP connections per listener; more are closed at once. */
    static final int MAX_TCP_CONNECTIONS = 256;
    /** Queries of one TCP connection waiting for an upstream; beyond it SERVFAIL at once. */
    static final int MAX_TCP_OUTSTANDING = 32;
    /** A TCP connection without a query for this long is closed. */
    static final int TCP_IDLE_SECONDS = 10;

    private final DnsServerConfig config;
    private final DnsStats stats = new DnsStats();
    private final Answerer answerer;
    private final MultiThreadIoEventLoopGroup group;
    private final ByteBufAllocator alloc;
    private final long tcpIdleMillis;
    private final List<EventLoop> loops = new ArrayList<>();
    private final Map<EventLoop, Forwarder> forwarders = new IdentityHashMap<>();
    private final Set<ListenerImpl> listeners = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Default number of event loops: one per available processor, at most 4 (each listener has a UDP
     * socket per loop); the system property {@code jweave.dns.threads} sets it (benchmarks, tuning).
     */
    public static int defaultThreads() {
        Integer forced = Integer.getInteger("jweave.dns.threads");
        if (forced != null && forced > 0) {
            return forced;
        }
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    /** A server with {@link #defaultThreads()} event loops. */
    public DnsServer(DnsServerConfig config, DnsRegistry registry) {
        this(config, registry, defaultThreads());
    }

    public DnsServer(DnsServerConfig config, DnsRegistry registry, int threads) {
        this(config, registry, threads, Duration.ofSeconds(TCP_IDLE_SECONDS));
    }

    /** With another TCP idle timeout (tests). */
    DnsServer(DnsServerConfig config, DnsRegistry registry, int threads, Duration tcpIdle) {
        this.tcpIdleMillis = tcpIdle.toMillis();
        if (threads < 1) {
            throw new IllegalArgumentException("DNS server threads must be at least 1, got " + threads);
        }
        this.config = config;
        this.answerer = new Answerer(config, registry, stats);
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("jweave-dns", true),
                EpollIoHandler.newFactory());
        // Our own pooled allocator whatever the process default is (the router runs Netty unpooled to stay
        // small): a buffer per datagram in and out is the main cost of a query otherwise. One arena per
        // loop, 1 MiB chunks, caches only on the loop threads.
        this.alloc = new PooledByteBufAllocator(true, 0, threads, 8192, 7, 256, 64, false);
        try {
            // Start every loop thread now, from this thread: a thread inherits the network namespace of the
            // thread that creates it, and Netty creates loop threads lazily on their first task, which could
            // otherwise be a listen() running inside a network's namespace.
            for (EventExecutor e : group) {
                e.submit(() -> { }).syncUninterruptibly();
                EventLoop loop = (EventLoop) e;
                loops.add(loop);
                forwarders.put(loop, new Forwarder(loop, config.upstreams(), config.upstreamTimeout(), stats, alloc));
            }
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
    }

    public DnsServerConfig config() {
        return config;
    }

    /**
     * Binds UDP and TCP on {@code bind} in the network namespace of the calling thread; queries received
     * there are answered with scope {@code registry.scope(network, clientAddress)}. Port 0 picks a free
     * port, the same for UDP and TCP. Bind a specific address, not a wildcard: UDP answers leave with
     * the source address the kernel picks for the client, which on a wildcard socket with several
     * local addresses need not be the one the client asked.
     *
     * @throws IllegalStateException if the address is taken or cannot be bound, or the server is closed
     */
    public Listener listen(String network, InetSocketAddress bind) {
        if (closed) {
            throw new IllegalStateException("DNS server is closed");
        }
        if (bind.isUnresolved()) {
            throw new IllegalArgumentException("DNS listen address " + bind + " is not an IP address");
        }
        IllegalStateException last = null;
        for (int tries = 0; tries < (bind.getPort() == 0 ? 5 : 1); tries++) {
            try {
                ListenerImpl l = bindAll(network, bind);
                listeners.add(l);
                LOG.info("DNS listening for network {} on {} (UDP and TCP)", network, l.address);
                if (closed) {
                    l.close();
                    throw new IllegalStateException("DNS server is closed");
                }
                return l;
            } catch (IllegalStateException e) {
                last = e;
            }
        }
        throw last;
    }

    private ListenerImpl bindAll(String network, InetSocketAddress bind) {
        String what = "cannot listen for DNS of network " + network + " on " + bind.getAddress().getHostAddress() + ":"
                + bind.getPort();
        if (bind.getPort() != 0) {
            probeUdp(bind, what);
        }
        ListenerImpl l = new ListenerImpl(network);
        try {
            InetSocketAddress actual = bind;
            for (EventLoop loop : loops) {
                Channel ch = bindUdp(loop, network, actual, what);
                l.udp.add(ch);
                actual = (InetSocketAddress) ch.localAddress();
            }
            l.address = actual;
            l.tcp = bindTcp(l, actual, what);
            return l;
        } catch (RuntimeException e) {
            l.close();
            throw e;
        }
    }

    /**
     * SO_REUSEPORT lets our sockets share a port with any other socket of the same user that set it too:
     * check first, with a plain socket, that nobody holds the port.
     */
    private static void probeUdp(InetSocketAddress bind, String what) {
        StandardProtocolFamily family = bind.getAddress() instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        try (DatagramChannel dc = DatagramChannel.open(family)) {
            dc.bind(bind);
        } catch (IOException e) {
            throw new IllegalStateException(what + " (UDP): " + e.getMessage(), e);
        }
    }

    private Channel bindUdp(EventLoop loop, String network, InetSocketAddress addr, String what) {
        // The channel (and its socket) is created here, in the calling thread's namespace.
        Bootstrap b = new Bootstrap().group(loop).channel(EpollDatagramChannel.class)
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(EpollChannelOption.SO_REUSEPORT, true)
                .option(ChannelOption.SO_RCVBUF, 1 << 20)
                // recvmmsg: up to 16 datagrams of at most MAX_QUERY bytes per system call
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_QUERY)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_QUERY * 16))
                .handler(new UdpHandler(network, forwarders.get(loop)));
        try {
            return b.bind(addr).syncUninterruptibly().channel();
        } catch (Exception e) { // syncUninterruptibly rethrows Netty's checked bind error (NativeIoException) undeclared
            throw new IllegalStateException(what + " (UDP): " + e.getMessage(), e);
        }
    }

    private Channel bindTcp(ListenerImpl l, InetSocketAddress addr, String what) {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.ALLOCATOR, alloc)
                .childOption(ChannelOption.ALLOCATOR, alloc)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (l.tcpConnections.incrementAndGet() > MAX_TCP_CONNECTIONS || l.closed) {
                            l.tcpConnections.decrementAndGet();
                            ch.close();
                            return;
                        }
                        l.children.add(ch);
                        ch.closeFuture().addListener(f -> {
                            l.tcpConnections.decrementAndGet();
                            l.children.remove(ch);
                        });
                        ch.pipeline().addLast(new IdleStateHandler(tcpIdleMillis, 0, 0, TimeUnit.MILLISECONDS),
                                new LengthFieldBasedFrameDecoder(65535 + 2, 0, 2, 0, 2),
                                new TcpHandler(l.network, forwarders.get(ch.eventLoop())));
                    }
                });
        try {
            return b.bind(addr).syncUninterruptibly().channel();
        } catch (Exception e) { // as in bindUdp: the bind error is a checked exception, rethrown undeclared
            throw new IllegalStateException(what + " (TCP): " + e.getMessage(), e);
        }
    }

    public DnsStats stats() {
        return stats;
    }

    /** Closes every listener and the forwarders, and stops the event loops. Not to be called from a loop. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ListenerImpl l : new ArrayList<>(listeners)) {
            l.close();
        }
        for (Forwarder f : forwarders.values()) {
            f.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** UDP and TCP sockets of one network. */
    public interface Listener extends AutoCloseable {
        String network();

        InetSocketAddress address();

        /** Closes the sockets; when this returns the port is free. */
        @Override
        void close();
    }

    private final class ListenerImpl implements Listener {
        final String network;
        final List<Channel> udp = new ArrayList<>();
        final Set<Channel> children = ConcurrentHashMap.newKeySet();
        final AtomicInteger tcpConnections = new AtomicInteger();
        volatile InetSocketAddress address;
        volatile Channel tcp;
        volatile boolean closed;

        ListenerImpl(String network) {
            this.network = network;
        }

        @Override
        public String network() {
            return network;
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            listeners.remove(this);
            for (Channel c : udp) {
                c.close().syncUninterruptibly();
            }
            if (tcp != null) {
                tcp.close().syncUninterruptibly();
            }
            for (Channel c : children) {
                c.close().syncUninterruptibly();
            }
        }

        @Override
        public String toString() {
            return "DNS listener of " + network + " on " + address;
        }
    }

    /** Queries over UDP; answers are flushed once per read burst. */
    private final class UdpHandler extends ChannelInboundHandlerAdapter {
        private final String network;
        private final Forwarder forwarder;
        private final DnsWire.Query query = new DnsWire.Query();

        UdpHandler(String network, Forwarder forwarder) {
            this.network = network;
            this.forwarder = forwarder;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket p)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                ByteBuf content = p.content();
                InetSocketAddress sender = p.sender();
                stats.queries.increment();
                DnsWire.Query q = query; // reused: nothing keeps it past this call
                ByteBuf out;
                switch (DnsWire.parse(content, q)) {
                    case DROP -> {
                        stats.malformed.increment();
                        return;
                    }
                    case FORMERR -> {
                        stats.malformed.increment();
                        out = headerOnly(ctx, q, DnsWire.FORMERR, 0);
                    }
                    case NOTIMP -> out = headerOnly(ctx, q, DnsWire.NOTIMP, 0);
                    default -> {
                        out = answerer.answer(ctx.alloc(), content, q, network, sender.getAddress(), 0, q.udpLimit());
                        if (out == null) {
                            forwarder.forward(content, q, new Reply.Udp(ctx.channel(), sender, q.udpLimit()), answerer);
                            return;
                        }
                    }
                }
                ctx.write(new DatagramPacket(out, sender), ctx.voidPromise());
            } finally {
                p.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // e.g. ICMP port unreachable of a client that went away: nothing to do, keep serving
        }
    }

    /** Queries over TCP: 2-byte length framing, several queries per connection, idle timeout. */
    private final class TcpHandler extends ChannelInboundHandlerAdapter {
        private final String network;
        private final Forwarder forwarder;
        private int outstanding;
        private final DnsWire.Query query = new DnsWire.Query();

        TcpHandler(String network, Forwarder forwarder) {
            this.network = network;
            this.forwarder = forwarder;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            try {
                stats.queries.increment();
                DnsWire.Query q = query; // reused: nothing keeps it past this call
                ByteBuf out;
                switch (DnsWire.parse(frame, q)) {
                    case DROP -> {
                        stats.malformed.increment();
                        return;
                    }
                    case FORMERR -> {
                        stats.malformed.increment();
                        out = headerOnly(ctx, q, DnsWire.FORMERR, 2);
                    }
                    case NOTIMP -> out = headerOnly(ctx, q, DnsWire.NOTIMP, 2);
                    default -> {
                        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
                        out = answerer.answer(ctx.alloc(), frame, q, network, remote.getAddress(), 2, 65535);
                        if (out == null) {
                            if (outstanding >= MAX_TCP_OUTSTANDING) {
                                out = answerer.servfail(ctx.alloc(), frame, q, 2);
                            } else {
                                outstanding++;
                                forwarder.forward(frame, q, new Reply.Tcp(ctx.channel(), () -> outstanding--), answerer);
                                return;
                            }
                        }
                    }
                }
                ctx.write(out, ctx.voidPromise());
            } finally {
                frame.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a frame longer than allowed, a reset connection: drop the connection, keep serving
            if (cause instanceof io.netty.handler.codec.TooLongFrameException) {
                stats.malformed.increment();
            }
            ctx.close();
        }
    }

    /** FORMERR / NOTIMP: the header alone, with the query's ID, opcode and RD. */
    private static ByteBuf headerOnly(ChannelHandlerContext ctx, DnsWire.Query q, int rcode, int prefix) {
        ByteBuf out = ctx.alloc().ioBuffer(prefix + DnsWire.HEADER);
        if (prefix == 2) {
            out.writeShort(DnsWire.HEADER);
        }
        DnsWire.writeHeader(out, q.id, DnsWire.responseFlags(q.flags, false, false, rcode), 0, 0, 0, 0);
        return out;
    }

    @Override
    public String toString() {
        return "DNS server for " + config.domain() + " (" + listeners.size() + " listeners)";
    }
}
