package io.jweave.tunnel;

import io.jweave.tunnel.noise.CipherState;
import io.jweave.tunnel.noise.HandshakeState;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encrypted tunnel: reads IPv4 packets from a {@link PacketDevice}, seals them for the peer named
 * by their destination address and sends them over one UDP socket (in fragments above the peer's path
 * MTU), or over a TCP connection to a watched peer that UDP does not reach; opens what arrives and
 * writes it to the device. Watched peers ({@link #watch}) are probed every second ({@link #path}). See
 * the module README for the protocol and the modes (password, open, listen-only).
 */
public final class Tunnel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

    /** Outer IPv4 20 + UDP 8 + transport header 16 + tag 16. */
    public static final int OVERHEAD = 60;

    static final byte[] PROLOGUE = "jweave-tunnel-1".getBytes(StandardCharsets.US_ASCII);
    /** Open mode's prologue: an open and a password tunnel never complete a handshake (message 1 fails). */
    static final byte[] OPEN_PROLOGUE = "jweave-tunnel-1-open".getBytes(StandardCharsets.US_ASCII);

    // Wire
    static final byte TYPE_INITIATION = 1;
    static final byte TYPE_RESPONSE = 2;
    static final byte TYPE_TRANSPORT = 3;
    static final byte TYPE_NOTICE = 4;
    static final int INITIATION_LEN = 8 + 32 + 16;
    static final int RESPONSE_LEN = 12 + 32 + 16;
    static final int TRANSPORT_HEADER = 16;
    static final int TAG = CipherState.TAG_LEN;
    static final int NOTICE_LEN = 4;
    static final byte NOTICE_PROBE = 1;
    static final byte NOTICE_PASSWORD_REQUIRED = 2;
    static final byte NOTICE_NO_PASSWORD = 3;
    // Control messages: transport payloads whose first byte's high nibble is not 4 or 6
    static final byte CTL_PING = 1;
    static final byte CTL_PONG = 2;
    static final byte CTL_FRAG = Fragments.TYPE;
    /** PING: type(1) flags(1) reserved(2) id(4) sender's nanoTime(8) padding (at least 4: never smaller than its PONG). */
    static final int PING_LEN = 20;
    /** PONG: type(1) flags(1, echoed) reserved(2) id(4) echoed nanoTime(8) received size(4). */
    static final int PONG_LEN = 20;

    // Refusal reasons
    static final String WRONG_PASSWORD = "wrong password or none";
    static final String PEER_HAS_NO_PASSWORD = "it has no password";
    static final String PEER_REQUIRES_PASSWORD = "it requires a password; this router has none";
    static final String PEER_USES_PASSWORD = "it uses a password; this router has none";
    static final String PEER_SENT_NO_PASSWORD = "no password";
    static final String PEER_OPEN_MODE = "it carries traffic without a password (open mode); this router only listens";

    // Timers and limits
    static final int QUEUE_LIMIT = 1024;
    static final int MAX_TRIES = 10;
    static final int MAX_PEERS = 4096;
    static final int MAX_PENDING_RESPONDERS = 4;
    static final int MAX_OLDER_SESSIONS = 3;
    static final long RETRANSMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    static final long RETRANSMIT_JITTER_NANOS = TimeUnit.MILLISECONDS.toNanos(333);
    static final long RESPONDER_CONFIRM_NANOS = TimeUnit.SECONDS.toNanos(5);
    static final long RESPONDER_REKEY_EXTRA_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long REJECT_EXTRA_NANOS = TimeUnit.SECONDS.toNanos(60);
    static final long BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);
    static final long UNKNOWN_INITIATION_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long NOTICE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int HANDSHAKES_PER_SECOND_PER_SOURCE = 10;
    static final long REKEY_AFTER_MESSAGES = 1L << 32;
    static final long REJECT_AFTER_MESSAGES = Long.MAX_VALUE - (1L << 13);
    static final long TICK_MILLIS = 50;
    private static final byte[] EMPTY = new byte[0];
    private static final ByteBuffer EMPTY_BUFFER = ByteBuffer.allocateDirect(0);

    private final TunnelConfig config;
    private final PacketDevice device;
    private final TunnelListener listener;
    private final byte[] psk;
    private final byte[] prologue;
    private final boolean carries;
    private final long rekeyAfterNanos;
    private final long rejectAfterNanos;
    private final SecureRandom random = new SecureRandom();

    private final ConcurrentHashMap<InetAddress, Peer> peers = new ConcurrentHashMap<>();
    /** Receiver index -> Session, or -> Handshake for an initiation awaiting its response. */
    private final ConcurrentHashMap<Integer, Object> byIndex = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<InetAddress, Long> lastNotice = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<InetAddress, long[]> handshakeBudget = new ConcurrentHashMap<>();
    private final ThreadLocal<Crypto> crypto = ThreadLocal.withInitial(Crypto::new);

    final LongAdder txPackets = new LongAdder();
    final LongAdder txBytes = new LongAdder();
    final LongAdder rxPackets = new LongAdder();
    final LongAdder rxBytes = new LongAdder();
    final LongAdder malformed = new LongAdder();
    final LongAdder replayed = new LongAdder();
    final LongAdder forged = new LongAdder();
    final LongAdder unknownSession = new LongAdder();
    final LongAdder expired = new LongAdder();
    final LongAdder handshakesInitiated = new LongAdder();
    final LongAdder handshakesCompleted = new LongAdder();
    final LongAdder handshakeFailures = new LongAdder();
    final LongAdder handshakesRateLimited = new LongAdder();
    final LongAdder rekeys = new LongAdder();
    final LongAdder queueDrops = new LongAdder();
    final LongAdder noticesSent = new LongAdder();
    final LongAdder noticesReceived = new LongAdder();
    final LongAdder sendErrors = new LongAdder();
    /** Opened inner packets whose IPv4 source was not the address of the peer that sealed them. */
    final LongAdder spoofed = new LongAdder();
    final LongAdder fragmented = new LongAdder();
    final LongAdder reassembled = new LongAdder();
    final LongAdder fragmentDrops = new LongAdder();
    final LongAdder pingsSent = new LongAdder();
    final LongAdder pongsReceived = new LongAdder();
    final LongAdder tcpConnections = new LongAdder();
    final LongAdder tcpTxFrames = new LongAdder();
    final LongAdder tcpRxFrames = new LongAdder();

    /**
     * Batched UDP I/O (see {@link UdpBatch}); package-private so measurements can compare. sendBatch:
     * packets gathered from the device per sendmmsg (1 = one send per packet); gso: join equal-sized
     * datagrams to one peer with UDP_SEGMENT; recvBatch: datagrams per recvmmsg (1 = one receive
     * per datagram); gro: UDP_GRO on the socket. Read at start().
     */
    int sendBatch = Integer.getInteger("jweave.tunnel.sendBatch", 32);
    boolean gso = !Boolean.getBoolean("jweave.tunnel.noGso");
    int recvBatch = Integer.getInteger("jweave.tunnel.recvBatch", 16);
    boolean gro = !Boolean.getBoolean("jweave.tunnel.noGro");
    /** The socket's fd when batched I/O is in use, else -1. */
    private int fd = -1;
    /** Device thread only. */
    private UdpBatch.Sender batch;
    private Peer[] batchPeer;
    private int[] batchPlain;
    private final ByteBuffer txPollfd = UdpBatch.direct(8);
    /** Receive thread only. */
    private UdpBatch.Receiver receiver;

    // TCP transport (tcpPort > 0)
    static final int MAX_TCP_CONNECTIONS = 256;
    static final long TCP_UNAUTHENTICATED_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long TCP_BACKOFF_MIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long TCP_BACKOFF_MAX_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final int TCP_CONNECT_TIMEOUT_MILLIS = 3000;
    private ServerSocketChannel tcpServer;
    private Thread acceptThread;
    private final Set<TcpConn> tcpConns = ConcurrentHashMap.newKeySet();
    private final TcpConn.Handler tcpHandler = new TcpConn.Handler() {
        @Override
        public void frame(TcpConn c, ByteBuffer datagram) {
            tcpRxFrames.increment();
            deliver(datagram, c.from, c);
        }

        @Override
        public void closed(TcpConn c) {
            tcpConns.remove(c);
            Peer p = c.peer;
            if (p.tcp == c) {
                p.tcp = null;
                long b = p.tcpBackoffNanos;
                p.tcpNextNanos = System.nanoTime() + b;
                p.tcpBackoffNanos = Math.min(TCP_BACKOFF_MAX_NANOS, b * 2);
                log.info("tcp transport to {} closed", p.address.getHostAddress());
            }
        }
    };

    private volatile boolean running;
    private DatagramChannel channel;
    private Thread receiveThread;
    private Thread deviceThread;
    private ScheduledExecutorService scheduler;
    private ExecutorService events;

    // Device thread only: the last destination and its peer.
    private int lastDst;
    private Peer lastPeer;
    // Receive thread only: the last receiver index and its session.
    private int lastRxIndex;
    private Session lastRxSession;

    public Tunnel(TunnelConfig config, PacketDevice device, TunnelListener listener) {
        this.config = Objects.requireNonNull(config, "config");
        this.listener = listener == null ? TunnelListener.NONE : listener;
        this.carries = config.carries();
        if (carries && device == null) {
            throw new IllegalArgumentException("a tunnel in " + config.mode() + " mode needs a packet device");
        }
        if (!carries && device != null) {
            throw new IllegalArgumentException("a listen-only tunnel (no password, not open mode) takes no packet device");
        }
        this.device = device;
        this.psk = config.encrypted() ? config.psk().bytes() : Psk.OPEN_MESH.bytes();
        this.prologue = config.encrypted() ? PROLOGUE : OPEN_PROLOGUE;
        this.rekeyAfterNanos = config.rekeyAfter().toNanos();
        this.rejectAfterNanos = rekeyAfterNanos + REJECT_EXTRA_NANOS;
    }

    /** Binds the socket and starts the threads. */
    public synchronized void start() throws IOException {
        if (running || channel != null) {
            throw new IllegalStateException("already started");
        }
        // IPv4 only (an AF_INET socket, also what the batched native I/O's sockaddr_in layouts need).
        channel = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
            channel.bind(config.listen());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        boolean batchTx = carries && sendBatch > 1;
        boolean batchRx = carries && recvBatch > 1; // a listen-only tunnel only hears the odd notice
        fd = batchTx || batchRx ? UdpBatch.fdOf(channel) : -1;
        if (fd >= 0) {
            try {
                if (batchTx) {
                    int slot = Math.max(config.deviceMtu(), 1500) + 64 + TRANSPORT_HEADER + TAG;
                    batch = new UdpBatch.Sender(Math.min(sendBatch, UdpBatch.MAX_SEGMENTS), slot, gso);
                    batchPeer = new Peer[batch.capacity];
                    batchPlain = new int[batch.capacity];
                }
                if (batchRx) {
                    receiver = new UdpBatch.Receiver(Math.min(recvBatch, 64)); // 64 KiB each
                    if (gro) {
                        int e = UdpBatch.setInt(fd, UdpBatch.SOL_UDP, UdpBatch.UDP_GRO, 1);
                        if (e != 0) {
                            log.info("UDP GRO unavailable (errno {})", e);
                        }
                    }
                }
            } catch (RuntimeException | LinkageError e) {
                log.info("batched UDP I/O unavailable: {}", e.toString());
                fd = -1;
                batch = null;
                receiver = null;
            }
        }
        if (fd < 0) {
            batch = null;
            receiver = null;
        }
        if (carries && config.tcpPort() > 0) {
            if (config.listen().getAddress().isAnyLocalAddress()) {
                log.warn("the tcp transport listens on a wildcard address: peers tell who connects by address, "
                        + "so listen on this host's underlay address");
            }
            try {
                tcpServer = ServerSocketChannel.open(StandardProtocolFamily.INET);
                tcpServer.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                tcpServer.bind(new InetSocketAddress(config.listen().getAddress(), config.tcpPort()), 64);
            } catch (IOException | RuntimeException e) {
                if (tcpServer != null) {
                    tcpServer.close();
                }
                channel.close();
                throw e;
            }
        }
        running = true;
        events = Executors.newSingleThreadExecutor(r -> daemon(r, "jweave-tunnel-events"));
        receiveThread = daemon(receiver != null ? this::batchReceiveLoop : this::receiveLoop, "jweave-tunnel-rx");
        receiveThread.start();
        if (carries) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "jweave-tunnel-timers"));
            scheduler.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
            deviceThread = daemon(this::deviceLoop, "jweave-tunnel-tx");
            deviceThread.start();
        }
        if (tcpServer != null) {
            acceptThread = daemon(this::acceptLoop, "jweave-tunnel-tcp-accept");
            acceptThread.start();
            log.info("tcp transport listening on {}:{}", config.listen().getAddress().getHostAddress(), config.tcpPort());
        }
        log.info("tunnel listening on {} ({} mode, peers on port {})", localAddress(), modeName(), config.peerPort());
    }

    /** The bound socket address (useful with port 0). */
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            return config.listen();
        }
    }

    /** Stops the threads, closes the socket and the device (a persistent TUN is not deleted). */
    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (tcpServer != null) {
            try {
                tcpServer.close();
            } catch (IOException e) {
                log.debug("closing the tcp listener: {}", e.toString());
            }
            join(acceptThread);
        }
        for (TcpConn c : tcpConns) {
            c.close();
        }
        if (fd >= 0) {
            // Native calls on the socket's fd are not woken by closing the channel (and the fd must
            // not be reused under them): they wait at most 100 ms, so let them finish first.
            join(receiveThread);
            join(deviceThread);
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing the socket: {}", e.toString());
        }
        join(receiveThread);
        join(deviceThread);
        if (device != null) {
            try {
                device.close();
            } catch (Exception e) {
                log.warn("closing the packet device: {}", e.toString());
            }
        }
        if (events != null) {
            events.shutdown();
            try {
                events.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void join(Thread t) {
        if (t == null) {
            return;
        }
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------ public queries and actions

    public TunnelStats stats() {
        return new TunnelStats(txPackets.sum(), txBytes.sum(), rxPackets.sum(), rxBytes.sum(),
                malformed.sum(), replayed.sum(), forged.sum(), unknownSession.sum(), expired.sum(),
                handshakesInitiated.sum(), handshakesCompleted.sum(), handshakeFailures.sum(),
                handshakesRateLimited.sum(), rekeys.sum(), queueDrops.sum(), noticesSent.sum(),
                noticesReceived.sum(), sendErrors.sum(), fragmented.sum(), reassembled.sum(), fragmentDrops.sum(),
                pingsSent.sum(), pongsReceived.sum(), tcpConnections.sum(), tcpTxFrames.sum(), tcpRxFrames.sum(),
                spoofed.sum());
    }

    public List<PeerState> peers() {
        long now = System.nanoTime();
        List<PeerState> out = new ArrayList<>();
        for (Peer p : peers.values()) {
            boolean up = usable(p.current, now);
            long since = p.sinceMillis;
            long hs = p.lastHandshakeMillis;
            String reason = p.refusedReason;
            out.add(new PeerState(p.address, up, up && since >= 0 ? Instant.ofEpochMilli(since) : null,
                    hs >= 0 ? Instant.ofEpochMilli(hs) : null, p.rekeys.sum(),
                    p.txPackets.sum(), p.txBytes.sum(), p.rxPackets.sum(), p.rxBytes.sum(),
                    reason, reason == null ? null : Instant.ofEpochMilli(p.refusedAtMillis)));
        }
        return out;
    }

    /**
     * Replaces the set of watched peers (IPv4 addresses; others are ignored). The tunnel keeps a session with
     * each watched peer and sends it a PING over each transport every second, even without traffic; the
     * answers make {@link #path}. Unwatched peers get sessions on demand, as before. Listen-only mode: no effect.
     */
    public void watch(Collection<InetAddress> addrs) {
        Set<InetAddress> want = new HashSet<>();
        for (InetAddress a : addrs) {
            if (a instanceof Inet4Address) {
                want.add(a);
            }
        }
        long now = System.nanoTime();
        for (Peer p : peers.values()) {
            if (p.watched && !want.contains(p.address)) {
                p.watched = false;
                p.viaTcp = false;
                p.path.watch(false, now);
                unwatched(p);
            }
        }
        if (!carries) {
            return;
        }
        for (InetAddress a : want) {
            Peer p = peerFor(a);
            if (p != null && !p.watched) {
                p.path.watch(true, now);
                p.watched = true;
            }
        }
    }

    /** The path to a watched peer (empty if it is not watched). */
    public Optional<PeerPath> path(InetAddress peer) {
        Peer p = peers.get(peer);
        if (p == null || !p.watched) {
            return Optional.empty();
        }
        return Optional.of(p.path.snapshot(System.nanoTime()));
    }

    /** The paths to all watched peers. */
    public List<PeerPath> paths() {
        long now = System.nanoTime();
        List<PeerPath> out = new ArrayList<>();
        for (Peer p : peers.values()) {
            if (p.watched) {
                out.add(p.path.snapshot(now));
            }
        }
        return out;
    }

    /** A peer is no longer watched: its TCP connection goes (the peer reconnects if it still watches this one). */
    private void unwatched(Peer p) {
        TcpConn c = p.tcp;
        if (c != null) {
            c.close();
        }
    }

    // ------------------------------------------------------------------ TCP transport

    private void acceptLoop() {
        while (running) {
            SocketChannel ch;
            try {
                ch = tcpServer.accept();
            } catch (IOException e) {
                if (!running) {
                    break;
                }
                log.debug("tcp accept failed: {}", e.toString());
                sleepQuietly(100);
                continue;
            }
            try {
                InetAddress a = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
                Peer p = a instanceof Inet4Address && tcpConns.size() < MAX_TCP_CONNECTIONS ? peerFor(a) : null;
                if (p == null) {
                    ch.close();
                    continue;
                }
                adopt(p, new TcpConn(p, ch, p.endpoint, true, tcpHandler));
            } catch (IOException | RuntimeException e) {
                log.debug("tcp accept: {}", e.toString());
                try {
                    ch.close();
                } catch (IOException e2) {
                    // gone
                }
            }
        }
    }

    /** Makes c the peer's connection (a newer one replaces an older one: the peer restarted or reconnected). */
    private void adopt(Peer p, TcpConn c) {
        if (!running) {
            c.close();
            return;
        }
        tcpConns.add(c);
        tcpConnections.increment();
        TcpConn old = p.tcp;
        p.tcp = c;
        c.start();
        if (old != null) {
            old.close();
        }
        log.info("tcp transport to {} {}", p.address.getHostAddress(), c.accepted ? "accepted" : "connected");
    }

    /** Timer: the lower address of a pair connects to the higher, for watched peers, with back-off. */
    private void maybeConnect(Peer p, long now) {
        TcpConn c = p.tcp;
        if (config.tcpPort() == 0 || (c != null && c.open()) || p.tcpConnecting || now - p.tcpNextNanos < 0
                || tcpConns.size() >= MAX_TCP_CONNECTIONS) {
            return;
        }
        byte[] self = config.listen().getAddress().getAddress();
        int selfInt = ((self[0] & 0xff) << 24) | ((self[1] & 0xff) << 16) | ((self[2] & 0xff) << 8) | (self[3] & 0xff);
        if (Integer.compareUnsigned(selfInt, p.addressInt) >= 0) {
            return; // the peer connects
        }
        p.tcpConnecting = true;
        Thread t = daemon(() -> {
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.INET);
                ch.bind(new InetSocketAddress(config.listen().getAddress(), 0)); // the peer knows us by this address
                ch.socket().connect(new InetSocketAddress(p.address, config.tcpPort()), TCP_CONNECT_TIMEOUT_MILLIS);
                if (!p.watched || !running) {
                    ch.close();
                } else {
                    adopt(p, new TcpConn(p, ch, p.endpoint, false, tcpHandler));
                }
            } catch (IOException | RuntimeException e) {
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException e2) {
                        // gone
                    }
                }
                long b = p.tcpBackoffNanos;
                p.tcpNextNanos = System.nanoTime() + b;
                p.tcpBackoffNanos = Math.min(TCP_BACKOFF_MAX_NANOS, b * 2);
                log.debug("tcp connect to {} failed: {}", p.address.getHostAddress(), e.toString());
            } finally {
                p.tcpConnecting = false;
            }
        }, "jweave-tunnel-tcp-connect");
        t.start();
    }

    /** Starts a new handshake with every peer that has a session, now. */
    public void rekeyAll() {
        if (!carries) {
            return;
        }
        long now = System.nanoTime();
        for (Peer p : peers.values()) {
            synchronized (p) {
                if (p.current != null && p.inFlight == null) {
                    p.backingOff = false;
                    startHandshake(p, true, now);
                }
            }
        }
    }

    /** Asks the router at addr whether it needs a password (answered with a notice). */
    public void probe(InetAddress addr) {
        sendNotice(new InetSocketAddress(addr, config.peerPort()), NOTICE_PROBE, NOTICE_LEN, false, null);
    }

    // ------------------------------------------------------------------ outbound

    /**
     * Reads packets from the device and seals them. With batched I/O it goes on reading without waiting
     * until the device has none queued or the batch is full, then sends the batch in one call; without,
     * each packet is sent as it is sealed.
     */
    private void deviceLoop() {
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(config.deviceMtu(), 1500) + 64);
        while (running) {
            buf.clear();
            int n;
            try {
                n = batch == null || batch.isEmpty() ? device.read(buf) : device.readNow(buf);
            } catch (IOException e) {
                flushBatch();
                if (!running) {
                    break;
                }
                log.warn("reading the packet device failed: {}", e.toString());
                sleepQuietly(100);
                continue;
            }
            if (n <= 0) {
                flushBatch();
                continue;
            }
            buf.flip();
            try {
                onOutbound(buf);
            } catch (RuntimeException e) {
                malformed.increment();
                log.debug("outbound packet dropped", e);
            }
            if (batch != null && batch.full()) {
                flushBatch();
            }
        }
        flushBatch();
    }

    private void flushBatch() {
        UdpBatch.Sender b = batch;
        if (b == null || b.isEmpty()) {
            return;
        }
        try {
            try {
                b.flush(fd, txPollfd);
            } catch (RuntimeException | LinkageError e) {
                // never let a native failure end the device thread: count the batch as failed
                log.warn("sending a batch failed: {}", e.toString());
                java.util.Arrays.fill(b.failed, 0, b.count, true);
            }
            for (int i = 0; i < b.count; i++) {
                Peer p = batchPeer[i];
                batchPeer[i] = null;
                if (b.failed[i]) {
                    sendErrors.increment();
                } else {
                    int len = batchPlain[i];
                    if (len > 0) { // fragments but the last count 0; control messages too
                        txPackets.increment();
                        txBytes.add(len);
                        p.txPackets.increment();
                        p.txBytes.add(len);
                    }
                }
            }
        } finally {
            b.reset();
        }
    }

    private void onOutbound(ByteBuffer pkt) {
        int start = pkt.position();
        if (pkt.remaining() > 0 && (pkt.get(start) & 0xf0) == 0x60) {
            return; // the kernel's own IPv6 chatter on the device (router solicitations): not carried, not an error
        }
        if (pkt.remaining() < 20 || (pkt.get(start) & 0xf0) != 0x40) {
            malformed.increment();
            return;
        }
        int dst = pkt.getInt(start + 16);
        Peer p = lastPeer != null && dst == lastDst ? lastPeer : null;
        if (p == null) {
            p = peerFor(intToAddress(dst));
            if (p == null) {
                queueDrops.increment();
                return;
            }
            lastDst = dst;
            lastPeer = p;
        }
        long now = System.nanoTime();
        Session s = p.current;
        if (usable(s, now)) {
            sendData(s, pkt, batch != null && Thread.currentThread() == deviceThread);
            return;
        }
        synchronized (p) {
            s = p.current;
            if (usable(s, now)) {
                sendData(s, pkt, false);
                return;
            }
            if (p.queue.size() >= QUEUE_LIMIT) {
                queueDrops.increment();
            } else {
                ByteBuffer copy = ByteBuffer.allocate(pkt.remaining());
                copy.put(pkt).flip();
                p.queue.add(copy);
            }
            startHandshake(p, false, now);
        }
    }

    private boolean usable(Session s, long now) {
        return s != null && s.confirmed && now - s.createdNanos < rejectAfterNanos
                && s.sendCounter.get() < REJECT_AFTER_MESSAGES;
    }

    /**
     * Sends one inner packet to s's peer: over TCP when the peer's path says so, else over UDP, in fragments
     * if the sealed datagram would exceed the peer's path MTU. batched: into the device thread's batch.
     */
    private void sendData(Session s, ByteBuffer pkt, boolean batched) {
        Peer p = s.peer;
        int len = pkt.remaining();
        if (p.viaTcp) {
            TcpConn c = p.tcp;
            if (c != null && c.open()) {
                sendTransport(s, pkt, c, len);
                return;
            }
        }
        int maxPayload = p.path.pmtu - OVERHEAD;
        if (len <= maxPayload) {
            if (batched) {
                addToBatch(s, pkt, len);
            } else {
                sendTransport(s, pkt, null, len);
            }
            return;
        }
        int count = Fragments.count(len, maxPayload);
        if (count > Fragments.MAX_COUNT) {
            queueDrops.increment();
            return;
        }
        fragmented.increment();
        int id = p.fragId.getAndIncrement();
        ByteBuffer frag = crypto.get().frag;
        for (int i = 0; i < count; i++) {
            frag.clear();
            Fragments.write(pkt, i, count, id, frag);
            frag.flip();
            int counted = i == count - 1 ? len : 0;
            if (batched) {
                if (batch.full()) {
                    flushBatch();
                }
                addToBatch(s, frag, counted);
            } else {
                sendTransport(s, frag, null, counted);
            }
        }
    }

    /** Seals payload into the device thread's batch (device thread only); counted = inner bytes to count as sent. */
    private void addToBatch(Session s, ByteBuffer payload, int counted) {
        UdpBatch.Sender b = batch;
        int len = counted;
        ByteBuffer out = b.slot();
        if (!seal(s, payload, out)) {
            return;
        }
        InetSocketAddress to = s.peer.endpoint;
        int i = b.count;
        batchPeer[i] = s.peer;
        batchPlain[i] = len;
        b.commit(out.position(), s.peer.addressInt, to.getPort());
    }

    /** Writes the transport header and the sealed payload into out at its position. */
    private boolean seal(Session s, ByteBuffer payload, ByteBuffer out) {
        Crypto c = crypto.get();
        long counter = s.sendCounter.getAndIncrement();
        out.put(TYPE_TRANSPORT).put((byte) 0).put((byte) 0).put((byte) 0)
                .putInt(s.remoteIndex).putLong(counter);
        try {
            c.cipher.init(Cipher.ENCRYPT_MODE, s.sendKey, c.spec(counter));
            c.cipher.doFinal(payload, out);
            return true;
        } catch (GeneralSecurityException e) {
            sendErrors.increment();
            log.warn("sealing a packet failed: {}", e.toString());
            return false;
        }
    }

    /**
     * Seals payload (position..limit) for s and sends it over via (null = UDP); an empty payload is a
     * keepalive. counted = inner packet bytes to count as sent (0 for control messages and keepalives).
     */
    private void sendTransport(Session s, ByteBuffer payload, TcpConn via, int counted) {
        Crypto c = crypto.get();
        int len = counted;
        ByteBuffer out = c.out;
        out.clear();
        if (!seal(s, payload, out)) {
            return;
        }
        out.flip();
        if (via != null) {
            if (!via.send(out)) {
                sendErrors.increment();
                return;
            }
            tcpTxFrames.increment();
        } else {
            try {
                channel.send(out, s.peer.endpoint);
            } catch (IOException e) {
                sendErrors.increment();
                return;
            }
        }
        if (len > 0) {
            txPackets.increment();
            txBytes.add(len);
            s.peer.txPackets.increment();
            s.peer.txBytes.add(len);
        }
    }

    /** Caller holds p's lock. */
    private void startHandshake(Peer p, boolean rekey, long now) {
        if (!carries || p.inFlight != null || !running) {
            return;
        }
        if (p.backingOff && now - p.noInitiateBeforeNanos < 0) {
            return;
        }
        p.backingOff = false;
        HandshakeState hs = HandshakeState.initiator(prologue, psk, null);
        byte[] m1;
        try {
            m1 = hs.writeMessage(EMPTY);
        } catch (GeneralSecurityException e) {
            log.warn("writing an initiation failed: {}", e.toString());
            return;
        }
        byte[] pkt = new byte[INITIATION_LEN];
        int idx = reserveIndex(p); // placeholder until the Handshake exists
        Handshake h = new Handshake(p, hs, idx, pkt, rekey);
        byIndex.put(idx, h);
        ByteBuffer b = ByteBuffer.wrap(pkt);
        b.put(TYPE_INITIATION).put((byte) 0).put((byte) 0).put((byte) 0).putInt(idx).put(m1);
        h.tries = 1;
        h.nextNanos = now + RETRANSMIT_NANOS + ThreadLocalRandom.current().nextLong(RETRANSMIT_JITTER_NANOS);
        p.inFlight = h;
        handshakesInitiated.increment();
        sendHandshake(p, pkt);
    }

    /** An initiation goes over UDP and, if one is open, over the TCP connection too. */
    private void sendHandshake(Peer p, byte[] pkt) {
        sendRaw(pkt, p.endpoint, null);
        TcpConn c = p.tcp;
        if (c != null && c.open()) {
            sendRaw(pkt, p.endpoint, c);
        }
    }

    private int reserveIndex(Object owner) {
        while (true) {
            int idx = random.nextInt();
            if (idx != 0 && byIndex.putIfAbsent(idx, owner) == null) {
                return idx;
            }
        }
    }

    private void sendRaw(byte[] pkt, InetSocketAddress to, TcpConn via) {
        if (via != null) {
            if (via.send(ByteBuffer.wrap(pkt))) {
                tcpTxFrames.increment();
            } else {
                sendErrors.increment();
            }
            return;
        }
        try {
            channel.send(ByteBuffer.wrap(pkt), to);
        } catch (IOException e) {
            sendErrors.increment();
            log.debug("sending to {} failed: {}", to, e.toString());
        }
    }

    // ------------------------------------------------------------------ inbound

    private void batchReceiveLoop() {
        while (running) {
            int r = receiver.receive(fd, 100, this::deliver);
            if (r < 0) {
                if (!running) {
                    break;
                }
                log.debug("recvmmsg failed: errno {}", -r);
                sleepQuietly(10);
            }
        }
    }

    private void receiveLoop() {
        ByteBuffer in = ByteBuffer.allocateDirect(65536);
        while (running) {
            in.clear();
            SocketAddress from;
            try {
                from = channel.receive(in);
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                if (!running) {
                    break;
                }
                log.debug("receive failed: {}", e.toString());
                continue;
            }
            if (from == null) {
                continue;
            }
            in.flip();
            deliver(in, (InetSocketAddress) from);
        }
    }

    /** One received datagram, whatever it holds: nothing in it may end the receive thread. */
    private void deliver(ByteBuffer datagram, InetSocketAddress from) {
        deliver(datagram, from, null);
    }

    private void deliver(ByteBuffer datagram, InetSocketAddress from, TcpConn via) {
        try {
            onDatagram(datagram, from, via);
        } catch (RuntimeException e) {
            malformed.increment();
            log.debug("datagram from {} dropped", from, e);
        }
    }

    /** Handles one UDP datagram; never throws for any content (tests feed it garbage). */
    void onDatagram(ByteBuffer in, InetSocketAddress from) {
        onDatagram(in, from, null);
    }

    /**
     * Handles one datagram that came over UDP (via null: the receive thread) or as a frame of a TCP
     * connection (via: that connection's reader thread). from = the peer's address and peerPort.
     */
    void onDatagram(ByteBuffer in, InetSocketAddress from, TcpConn via) {
        int len = in.remaining();
        if (len < 2) {
            malformed.increment();
            return;
        }
        byte type = in.get(0);
        if (type == TYPE_NOTICE) {
            onNotice(in, from, via);
            return;
        }
        if (len < 4 || (in.get(1) | in.get(2) | in.get(3)) != 0) {
            malformed.increment();
            return;
        }
        switch (type) {
            case TYPE_TRANSPORT -> {
                if (len < TRANSPORT_HEADER + TAG) {
                    malformed.increment();
                } else if (carries) {
                    onTransport(in, from, via);
                }
            }
            case TYPE_INITIATION -> {
                if (len != INITIATION_LEN) {
                    malformed.increment();
                } else {
                    onInitiation(in, from, via);
                }
            }
            case TYPE_RESPONSE -> {
                if (len != RESPONSE_LEN) {
                    malformed.increment();
                } else if (carries) {
                    onResponse(in, via);
                }
            }
            default -> malformed.increment();
        }
    }

    private void onTransport(ByteBuffer in, InetSocketAddress from, TcpConn via) {
        int idx = in.getInt(4);
        long counter = in.getLong(8);
        int datagramLen = in.remaining();
        Session s;
        if (via == null && lastRxSession != null && idx == lastRxIndex) {
            s = lastRxSession; // the one-entry cache belongs to the UDP receive thread
        } else {
            Object o = byIndex.get(idx);
            if (!(o instanceof Session)) {
                unknownSession.increment();
                initiateAfterUnknown(from.getAddress());
                return;
            }
            s = (Session) o;
            if (via == null) {
                lastRxIndex = idx;
                lastRxSession = s;
            }
        }
        long now = System.nanoTime();
        if (s.retired) {
            if (via == null) {
                lastRxSession = null;
            }
            unknownSession.increment();
            return;
        }
        if (now - s.createdNanos >= rejectAfterNanos) {
            expired.increment();
            return;
        }
        boolean fresh;
        synchronized (s.replay) { // UDP and TCP receivers may share a session
            fresh = s.replay.check(counter);
        }
        if (!fresh) {
            replayed.increment();
            return;
        }
        Crypto c = crypto.get();
        ByteBuffer plain = c.plain;
        plain.clear();
        in.position(TRANSPORT_HEADER);
        try {
            c.cipher.init(Cipher.DECRYPT_MODE, s.recvKey, c.spec(counter));
            c.cipher.doFinal(in, plain);
        } catch (AEADBadTagException e) {
            forged.increment();
            return;
        } catch (GeneralSecurityException e) {
            forged.increment();
            log.debug("opening a packet failed: {}", e.toString());
            return;
        }
        synchronized (s.replay) {
            fresh = s.replay.update(counter);
        }
        if (!fresh) {
            replayed.increment(); // the same packet came over the other transport meanwhile
            return;
        }
        Peer p = s.peer;
        p.lastRxNanos = now;
        if (via != null && !via.isAuthenticated()) {
            via.authenticated();
            p.tcpBackoffNanos = TCP_BACKOFF_MIN_NANOS;
        }
        if (!s.confirmed) {
            confirmResponder(s, now);
        }
        plain.flip();
        int n = plain.remaining();
        if (n == 0) {
            return; // keepalive
        }
        int first = plain.get(0) & 0xff;
        if ((first & 0xf0) == 0x40) {
            deliverInner(p, plain);
        } else if ((first & 0xf0) == 0x60) {
            malformed.increment();
        } else {
            onControl(s, plain, via == null ? datagramLen + 28 : datagramLen, via, now);
        }
    }

    /** Writes an opened inner IPv4 packet (position..limit) to the device. */
    private void deliverInner(Peer p, ByteBuffer plain) {
        int n = plain.remaining();
        if (n < 20 || (plain.get(plain.position()) & 0xf0) != 0x40
                || (plain.getShort(plain.position() + 2) & 0xffff) > n) {
            malformed.increment();
            return;
        }
        // A peer speaks for its own address only: what it seals must come from it (its VXLAN and mesh packets
        // do). Without a password anyone can be a peer; this keeps the tunnel from being a way to put packets
        // with someone else's source address into this host.
        byte[] a = p.addressBytes;
        int at = plain.position() + 12;
        if (plain.get(at) != a[0] || plain.get(at + 1) != a[1] || plain.get(at + 2) != a[2] || plain.get(at + 3) != a[3]) {
            spoofed.increment();
            return;
        }
        rxPackets.increment();
        rxBytes.add(n);
        p.rxPackets.increment();
        p.rxBytes.add(n);
        try {
            device.write(plain);
        } catch (IOException e) {
            sendErrors.increment();
            log.debug("writing to the packet device failed: {}", e.toString());
        }
    }

    /** A control message (PING, PONG, FRAG) from s's peer; size = what arrived (outer IPv4 size over UDP). */
    private void onControl(Session s, ByteBuffer plain, int size, TcpConn via, long now) {
        Peer p = s.peer;
        int n = plain.remaining();
        switch (plain.get(0)) {
            case CTL_PING -> {
                if (n < PING_LEN) {
                    malformed.increment();
                    return;
                }
                ByteBuffer pong = crypto.get().control;
                pong.clear();
                pong.put(CTL_PONG).put(plain.get(1)).put((byte) 0).put((byte) 0).putInt(plain.getInt(4))
                        .putLong(plain.getLong(8)).putInt(size).flip();
                Session out = usable(p.current, now) ? p.current : s;
                sendTransport(out, pong, via, 0);
            }
            case CTL_PONG -> {
                if (n < PONG_LEN) {
                    malformed.increment();
                    return;
                }
                pongsReceived.increment();
                p.path.pong(now, via != null, plain.get(1), plain.getInt(4), plain.getLong(8), plain.getInt(16));
            }
            case CTL_FRAG -> {
                byte[] whole = p.reassembly.add(plain, now);
                if (whole != null) {
                    reassembled.increment();
                    ByteBuffer w = crypto.get().whole(); // direct: the TUN write needs no copy of its own
                    w.clear();
                    w.put(whole).flip();
                    deliverInner(p, w);
                }
            }
            default -> malformed.increment();
        }
    }

    private void confirmResponder(Session s, long now) {
        Peer p = s.peer;
        synchronized (p) {
            if (s.confirmed) {
                return;
            }
            s.confirmed = true;
            p.pendingResponders.remove(s);
            install(p, s, now);
            flush(p, now);
        }
    }

    private void initiateAfterUnknown(InetAddress from) {
        if (!carries || !(from instanceof Inet4Address)) {
            return;
        }
        Peer p = peerFor(from);
        if (p == null) {
            return;
        }
        long now = System.nanoTime();
        synchronized (p) {
            if (p.unknownInitiationDone && now - p.lastUnknownInitiationNanos < UNKNOWN_INITIATION_NANOS) {
                return;
            }
            p.unknownInitiationDone = true;
            p.lastUnknownInitiationNanos = now;
            startHandshake(p, false, now);
        }
    }

    private void onInitiation(ByteBuffer in, InetSocketAddress from, TcpConn via) {
        InetAddress a = from.getAddress();
        if (!(a instanceof Inet4Address)) {
            malformed.increment();
            return;
        }
        if (!carries) {
            if (readsAs(OPEN_PROLOGUE, in)) {
                Peer p = peerFor(a); // an open-mode router: it needs no password, but this one carries nothing
                if (p != null) {
                    refuse(p, PEER_OPEN_MODE);
                }
            } else if (sendNotice(from, NOTICE_NO_PASSWORD, in.remaining(), true, via)) {
                Peer p = peerFor(a);
                if (p != null) {
                    refuse(p, PEER_USES_PASSWORD);
                }
            }
            return;
        }
        long now = System.nanoTime();
        if (!allowHandshake(a, now)) {
            handshakesRateLimited.increment();
            return;
        }
        int senderIndex = in.getInt(4);
        byte[] m1 = new byte[INITIATION_LEN - 8];
        in.get(8, m1);
        HandshakeState hs = HandshakeState.responder(prologue, psk, null);
        byte[] m2;
        try {
            hs.readMessage(m1);
            m2 = hs.writeMessage(EMPTY);
        } catch (GeneralSecurityException e) {
            handshakeFailures.increment();
            // Message 1 authenticates the prologue only: it fails when the other side is in the other mode
            // (password vs open), or for garbage. Say which mode this side is in, as notices do.
            if (sendNotice(from, config.encrypted() ? NOTICE_PASSWORD_REQUIRED : NOTICE_NO_PASSWORD, in.remaining(),
                    true, via)) {
                Peer p = peerFor(a);
                if (p != null) {
                    refuse(p, config.encrypted() ? PEER_HAS_NO_PASSWORD : PEER_USES_PASSWORD);
                }
            }
            return;
        }
        CipherState[] cs = hs.split();
        Peer p = peerFor(a);
        if (p == null) {
            return;
        }
        byte[] pkt = new byte[RESPONSE_LEN];
        synchronized (p) {
            int idx = reserveIndex(p);
            Session s = new Session(p, idx, senderIndex, cs[1].key(), cs[0].key(), now, false);
            byIndex.put(idx, s);
            p.pendingResponders.add(s);
            while (p.pendingResponders.size() > MAX_PENDING_RESPONDERS) {
                retire(p.pendingResponders.poll());
            }
            ByteBuffer b = ByteBuffer.wrap(pkt);
            b.put(TYPE_RESPONSE).put((byte) 0).put((byte) 0).put((byte) 0).putInt(idx).putInt(senderIndex).put(m2);
        }
        sendRaw(pkt, p.endpoint, via); // back the way the initiation came
    }

    /** Whether an initiation's message 1 verifies under the given prologue (and the open key). */
    private static boolean readsAs(byte[] prologue, ByteBuffer in) {
        byte[] m1 = new byte[INITIATION_LEN - 8];
        in.get(8, m1);
        try {
            HandshakeState.responder(prologue, Psk.OPEN_MESH.bytes(), null).readMessage(m1);
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private boolean allowHandshake(InetAddress a, long now) {
        if (handshakeBudget.size() > 10_000) {
            handshakeBudget.clear();
        }
        long[] b = handshakeBudget.computeIfAbsent(a, k -> new long[] {now, 0});
        synchronized (b) {
            if (now - b[0] >= TimeUnit.SECONDS.toNanos(1)) {
                b[0] = now;
                b[1] = 0;
            }
            return ++b[1] <= HANDSHAKES_PER_SECOND_PER_SOURCE;
        }
    }

    private void onResponse(ByteBuffer in, TcpConn via) {
        int senderIndex = in.getInt(4);
        int receiverIndex = in.getInt(8);
        Object o = byIndex.get(receiverIndex);
        if (!(o instanceof Handshake)) {
            unknownSession.increment();
            return;
        }
        Handshake h = (Handshake) o;
        Peer p = h.peer;
        byte[] m2 = new byte[RESPONSE_LEN - 12];
        in.get(12, m2);
        long now = System.nanoTime();
        synchronized (p) {
            if (p.inFlight != h) {
                return;
            }
            try {
                h.state.readMessage(m2);
            } catch (GeneralSecurityException e) {
                handshakeFailures.increment();
                byIndex.remove(receiverIndex, h);
                p.inFlight = null;
                dropQueue(p);
                backoff(p, now);
                refuse(p, WRONG_PASSWORD);
                return;
            }
            CipherState[] cs = h.state.split();
            Session s = new Session(p, receiverIndex, senderIndex, cs[0].key(), cs[1].key(), now, true);
            s.confirmed = true;
            byIndex.replace(receiverIndex, h, s);
            p.inFlight = null;
            install(p, s, now);
            sendTransport(s, EMPTY_BUFFER.duplicate(), via, 0); // confirms the session at the responder
            flush(p, now);
        }
    }

    /** Makes a confirmed session the current one (if newest). Caller holds p's lock. */
    private void install(Peer p, Session s, long now) {
        handshakesCompleted.increment();
        p.lastHandshakeMillis = System.currentTimeMillis();
        Session cur = p.current;
        boolean wasUp = usable(cur, now);
        if (cur != null && cur.createdNanos - s.createdNanos > 0) {
            keepOlder(p, s); // a crossing handshake finished late: receive on it, keep sending on cur
            return;
        }
        if (cur != null) {
            keepOlder(p, cur);
        }
        p.current = s;
        if (wasUp) {
            rekeys.increment();
            p.rekeys.increment();
        } else {
            p.sinceMillis = System.currentTimeMillis();
        }
        boolean wasRefused = p.refusedReason != null;
        p.refusedReason = null;
        if (!wasUp || wasRefused) {
            InetAddress a = p.address;
            fire(() -> listener.peerUp(a));
        }
    }

    private void keepOlder(Peer p, Session s) {
        p.older.addFirst(s);
        while (p.older.size() > MAX_OLDER_SESSIONS) {
            retire(p.older.pollLast());
        }
    }

    private void retire(Session s) {
        if (s != null) {
            s.retired = true;
            byIndex.remove(s.localIndex, s);
        }
    }

    /** Caller holds p's lock. */
    private void flush(Peer p, long now) {
        Session s = p.current;
        while (!p.queue.isEmpty() && usable(s, now)) {
            sendData(s, p.queue.poll(), false);
        }
    }

    private void dropQueue(Peer p) {
        queueDrops.add(p.queue.size());
        p.queue.clear();
    }

    private void backoff(Peer p, long now) {
        p.backingOff = true;
        p.noInitiateBeforeNanos = now + BACKOFF_NANOS;
    }

    // ------------------------------------------------------------------ notices

    private void onNotice(ByteBuffer in, InetSocketAddress from, TcpConn via) {
        noticesReceived.increment();
        InetAddress a = from.getAddress();
        if (!(a instanceof Inet4Address) || in.remaining() != NOTICE_LEN) {
            malformed.increment();
            return;
        }
        byte code = in.get(1);
        switch (code) {
            case NOTICE_PROBE -> {
                if (config.encrypted() && sendNotice(from, NOTICE_PASSWORD_REQUIRED, in.remaining(), true, via)) {
                    Peer p = peerFor(a);
                    if (p != null) {
                        refuse(p, PEER_SENT_NO_PASSWORD);
                    }
                } else if (carries && !config.encrypted()) {
                    sendNotice(from, NOTICE_NO_PASSWORD, in.remaining(), true, via); // open mode: "none needed"
                }
            }
            case NOTICE_PASSWORD_REQUIRED -> {
                if (!config.encrypted()) {
                    Peer p = peerFor(a);
                    if (p != null) {
                        refuse(p, PEER_REQUIRES_PASSWORD);
                    }
                }
            }
            case NOTICE_NO_PASSWORD -> {
                // Unauthenticated: a diagnostic only; the handshake in flight runs its course.
                if (config.encrypted()) {
                    Peer p = peerFor(a);
                    if (p != null) {
                        refuse(p, PEER_HAS_NO_PASSWORD);
                    }
                }
            }
            default -> malformed.increment();
        }
    }

    /**
     * Sends a 4-byte notice, never larger than what provoked it and (when rateLimited) at most once
     * a second per address. Returns whether it was sent.
     */
    private boolean sendNotice(InetSocketAddress to, byte code, int provokingLen, boolean rateLimited, TcpConn via) {
        if (provokingLen < NOTICE_LEN) {
            return false;
        }
        if (rateLimited) {
            long now = System.nanoTime();
            if (lastNotice.size() > 10_000) {
                lastNotice.clear();
            }
            Long last = lastNotice.get(to.getAddress());
            if (last != null && now - last < NOTICE_INTERVAL_NANOS) {
                return false;
            }
            lastNotice.put(to.getAddress(), now);
        }
        sendRaw(new byte[] {TYPE_NOTICE, code, 0, 0}, to, via);
        noticesSent.increment();
        return true;
    }

    private void refuse(Peer p, String reason) {
        long now = System.currentTimeMillis();
        boolean fresh = !reason.equals(p.refusedReason) || now - p.refusedAtMillis > 60_000;
        p.refusedReason = reason;
        p.refusedAtMillis = now;
        if (fresh) {
            InetAddress a = p.address;
            log.warn("peer {} refused: {}", a.getHostAddress(), reason);
            fire(() -> listener.peerRefused(a, reason));
        }
    }

    private void fire(Runnable r) {
        ExecutorService ex = events;
        if (ex == null) {
            return;
        }
        try {
            ex.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.warn("tunnel listener failed", e);
                }
            });
        } catch (RuntimeException e) {
            // shut down
        }
    }

    // ------------------------------------------------------------------ timers

    private void tick() {
        try {
            long now = System.nanoTime();
            for (Peer p : peers.values()) {
                synchronized (p) {
                    tick(p, now);
                }
                p.reassembly.expire(now);
                if (p.watched) {
                    tickPath(p, now);
                    maybeConnect(p, now);
                }
            }
            for (TcpConn c : tcpConns) {
                if (!c.isAuthenticated() && now - c.openedNanos > TCP_UNAUTHENTICATED_NANOS) {
                    log.info("tcp transport {}: nothing authenticated in 10 s: closing", c);
                    c.close();
                }
            }
        } catch (RuntimeException e) {
            log.warn("tunnel timer failed", e);
        }
    }

    private void tick(Peer p, long now) {
        Handshake h = p.inFlight;
        if (h != null && now - h.nextNanos >= 0) {
            if (h.tries >= MAX_TRIES) {
                byIndex.remove(h.localIndex, h);
                p.inFlight = null;
                dropQueue(p);
                backoff(p, now);
                log.info("no answer from {} after {} initiations", p.address.getHostAddress(), h.tries);
            } else {
                h.tries++;
                h.nextNanos = now + RETRANSMIT_NANOS + ThreadLocalRandom.current().nextLong(RETRANSMIT_JITTER_NANOS);
                sendHandshake(p, h.packet);
            }
        }
        for (Iterator<Session> it = p.older.iterator(); it.hasNext(); ) {
            Session s = it.next();
            if (now - s.createdNanos >= rejectAfterNanos) {
                retire(s);
                it.remove();
            }
        }
        Session cur = p.current;
        if (cur != null && now - cur.createdNanos >= rejectAfterNanos) {
            retire(cur);
            p.current = null;
            p.sinceMillis = -1;
            cur = null;
        }
        for (Iterator<Session> it = p.pendingResponders.iterator(); it.hasNext(); ) {
            Session s = it.next();
            if (now - s.createdNanos >= RESPONDER_CONFIRM_NANOS) {
                retire(s);
                it.remove();
                if (!usable(cur, now) && p.lastRxNanos - s.createdNanos < 0) {
                    refuse(p, WRONG_PASSWORD);
                }
            }
        }
        if (cur != null && p.inFlight == null) {
            long age = now - cur.createdNanos;
            if ((cur.initiator && age >= rekeyAfterNanos)
                    || (!cur.initiator && age >= rekeyAfterNanos + RESPONDER_REKEY_EXTRA_NANOS)
                    || cur.sendCounter.get() >= REKEY_AFTER_MESSAGES) {
                startHandshake(p, true, now);
            }
        }
        if (!p.queue.isEmpty() && p.inFlight == null && !usable(cur, now)) {
            startHandshake(p, false, now);
        }
    }

    /**
     * A watched peer: keep a session (initiate if there is none), send the PINGs that are due over each
     * transport, and decide the transport from the PONGs.
     */
    private void tickPath(Peer p, long now) {
        Session s = p.current;
        if (!usable(s, now)) {
            synchronized (p) {
                if (p.inFlight == null) {
                    startHandshake(p, false, now);
                }
            }
        } else {
            TcpConn c = p.tcp;
            boolean tcpOpen = c != null && c.open();
            p.path.tick(now, tcpOpen, (tcp, id, flags, size) -> sendPing(s, tcp ? c : null, id, flags, size, now));
        }
        PeerPath[] change = p.path.evaluate(now, config.tcpPort() > 0);
        if (change != null) {
            PeerPath before = change[0];
            PeerPath after = change[1];
            p.viaTcp = after.transport() == Transport.TCP;
            log.info("path to {}: {} -> {} ({})", p.address.getHostAddress(), before.transport(), after.transport(),
                    after.reason());
            InetAddress a = p.address;
            fire(() -> listener.pathChanged(a, before, after));
        }
    }

    /** One PING over via (null = UDP); size > 0 pads it so the outer IPv4 datagram has size bytes. */
    private void sendPing(Session s, TcpConn via, int id, int flags, int size, long now) {
        ByteBuffer b = crypto.get().frag;
        b.clear();
        b.put(CTL_PING).put((byte) flags).put((byte) 0).put((byte) 0).putInt(id).putLong(now);
        int len = Math.max(PING_LEN, size - OVERHEAD);
        while (b.position() < len) {
            b.put((byte) 0);
        }
        b.flip();
        pingsSent.increment();
        sendTransport(s, b, via, 0);
    }

    // ------------------------------------------------------------------ helpers

    private Peer peerFor(InetAddress a) {
        Peer p = peers.get(a);
        if (p != null) {
            return p;
        }
        if (peers.size() >= MAX_PEERS) {
            return null;
        }
        return peers.computeIfAbsent(a, k -> new Peer(k, config.peerPort(), config.underlayMtu(), fragmentDrops));
    }

    private static InetAddress intToAddress(int v) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Per-thread cipher and buffers (Cipher objects are not thread-safe). */
    private static final class Crypto {
        final Cipher cipher;
        final ByteBuffer out = ByteBuffer.allocateDirect(65536 + 64);
        final ByteBuffer plain = ByteBuffer.allocateDirect(65536);
        /** A fragment or a PING being built. */
        final ByteBuffer frag = ByteBuffer.allocateDirect(65536);
        final ByteBuffer control = ByteBuffer.allocateDirect(64);
        /** A reassembled packet on its way to the device (allocated on first use). */
        private ByteBuffer whole;

        ByteBuffer whole() {
            if (whole == null) {
                whole = ByteBuffer.allocateDirect(Fragments.MAX_PACKET);
            }
            return whole;
        }
        final byte[] nonce = new byte[12];

        Crypto() {
            try {
                cipher = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES/GCM unavailable", e);
            }
        }

        GCMParameterSpec spec(long counter) {
            for (int i = 0; i < 8; i++) {
                nonce[4 + i] = (byte) (counter >>> (56 - 8 * i));
            }
            return new GCMParameterSpec(128, nonce);
        }
    }

    @Override
    public String toString() {
        return "Tunnel[" + config.listen() + ", " + modeName() + "]";
    }

    private String modeName() {
        return switch (config.mode()) {
            case PASSWORD -> "encrypted";
            case OPEN -> "open (encrypted, no password)";
            case LISTEN_ONLY -> "plaintext";
        };
    }
}
