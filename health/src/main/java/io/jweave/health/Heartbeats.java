package io.jweave.health;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Heartbeats to a set of peers over one UDP socket, and answers to theirs. Every interval, each peer gets
 * a small heartbeat and a full-size one (an IPv4 datagram of exactly {@code fullSize} bytes); a peer's
 * answers to the round before feed its {@link PathVerdict}. Which path the datagrams take is the caller's
 * business: the router opens the socket where they travel the path it wants to watch (the kernel's VXLAN).
 *
 * <p>Wire (UDP payload, big-endian): {@code "JWHB"}, version 1, type (1 ping, 2 answer), kind (0 small,
 * 1 full-size), 0, u32 round, u64 the sender's send time (echoed), u16 the ping's payload length (in
 * answers), then padding up to the size. Answers are always small: each side measures its own direction
 * with its own full-size heartbeats.
 */
public final class Heartbeats implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeats.class);

    static final int MAGIC = 0x4a574842; // "JWHB"
    static final byte VERSION = 1;
    static final byte PING = 1;
    static final byte ANSWER = 2;
    static final int HEADER = 4 + 4 + 4 + 8 + 2;
    /** IPv4 20 + UDP 8. */
    static final int IP_UDP = 28;
    static final int LOSS_WINDOW = 20;

    /**
     * One peer's path as the heartbeats see it.
     *
     * @param usable    the verdict: the path carries full-size frames (with hysteresis)
     * @param failure   why not, when not usable
     * @param rttMicros round-trip time of full-size heartbeats (moving average), -1 before the first answer
     * @param loss      fraction of the last {@value #LOSS_WINDOW} full-size heartbeats unanswered
     * @param since     when {@code usable} last changed (when heartbeats to it started, if never)
     * @param switches  times {@code usable} changed
     */
    public record Health(InetAddress peer, boolean usable, PathVerdict.Failure failure, long rttMicros, double loss,
                         Instant since, long switches, int answeredInRow, int neededToHeal, boolean everAnswered) {
    }

    /** Told when a peer's verdict changes; called on the heartbeat thread. */
    public interface Listener {
        void changed(Health before, Health now);
    }

    private final DatagramChannel channel;
    private final int port;
    private final int fullSize;
    private final long intervalNanos;
    private final Listener listener;
    private final Map<InetAddress, Peer> peers = new ConcurrentHashMap<>();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private ScheduledExecutorService timer;
    private Thread receiver;
    private volatile boolean running;
    private long round;

    private static final class Peer {
        final InetAddress address;
        final PathVerdict verdict = new PathVerdict();
        final boolean[] lossRing = new boolean[LOSS_WINDOW];
        int lossCount;
        int rounds;
        volatile long lastSmallAnswered = -1;
        volatile long lastBigAnswered = -1;
        volatile long rttNanos = -1;
        long firstRound = -1;
        Instant since = Instant.now();

        Peer(InetAddress address) {
            this.address = address;
        }
    }

    /**
     * @param channel  a bound, blocking UDP socket (it is closed with this object)
     * @param port     the port peers' heartbeats listen on
     * @param fullSize the IPv4 datagram size of full-size heartbeats (the path's MTU)
     * @param interval time between rounds; a heartbeat unanswered by the next round is lost
     */
    public Heartbeats(DatagramChannel channel, int port, int fullSize, Duration interval, Listener listener) {
        this.channel = Objects.requireNonNull(channel, "channel");
        if (fullSize < IP_UDP + HEADER || fullSize > 65535) {
            throw new IllegalArgumentException("full-size heartbeat of " + fullSize + " bytes is out of range "
                    + (IP_UDP + HEADER) + "..65535");
        }
        this.port = port;
        this.fullSize = fullSize;
        this.intervalNanos = interval.toNanos();
        this.listener = listener == null ? (a, b) -> { } : listener;
    }

    public synchronized void start() {
        if (running) {
            throw new IllegalStateException("already started");
        }
        running = true;
        receiver = new Thread(this::receiveLoop, "jweave-heartbeat-rx");
        receiver.setDaemon(true);
        receiver.start();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jweave-heartbeat");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::tick, 0, intervalNanos, TimeUnit.NANOSECONDS);
    }

    /** The peers to send heartbeats to from now on (others are forgotten, with their verdicts). */
    public void targets(Collection<InetAddress> addresses) {
        Set<InetAddress> want = new HashSet<>(addresses);
        peers.keySet().retainAll(want);
        for (InetAddress a : want) {
            if (a instanceof Inet4Address) {
                peers.computeIfAbsent(a, Peer::new);
            }
        }
    }

    /** Every target's health now. */
    public Map<InetAddress, Health> health() {
        Map<InetAddress, Health> out = new HashMap<>();
        for (Peer p : peers.values()) {
            synchronized (p) {
                out.put(p.address, snapshot(p));
            }
        }
        return out;
    }

    public long bytesSent() {
        return bytesSent.sum();
    }

    public long bytesReceived() {
        return bytesReceived.sum();
    }

    public long malformed() {
        return malformed.sum();
    }

    /** The IPv4 size of full-size heartbeats. */
    public int fullSize() {
        return fullSize;
    }

    private static Health snapshot(Peer p) {
        PathVerdict v = p.verdict;
        double loss = p.rounds == 0 ? 0 : (double) p.lossCount / Math.min(p.rounds, LOSS_WINDOW);
        return new Health(p.address, v.usable(), v.failure(), p.rttNanos < 0 ? -1 : p.rttNanos / 1000, loss, p.since,
                v.switches(), v.goodInRow(), v.needed(), v.everAnswered());
    }

    private void tick() {
        try {
            long r;
            synchronized (this) {
                r = ++round;
            }
            for (Peer p : peers.values()) {
                judge(p, r);
                send(p, r);
            }
        } catch (RuntimeException e) {
            LOG.warn("heartbeat round failed: {}", e.toString());
        }
    }

    /** Feeds the verdict with the previous round's answers. */
    private void judge(Peer p, long r) {
        Health before = null;
        Health now = null;
        synchronized (p) {
            if (p.firstRound < 0) {
                p.firstRound = r;
                return;
            }
            long prev = r - 1;
            boolean small = p.lastSmallAnswered >= prev;
            boolean big = p.lastBigAnswered >= prev;
            int slot = p.rounds % LOSS_WINDOW;
            if (p.rounds >= LOSS_WINDOW && p.lossRing[slot]) {
                p.lossCount--;
            }
            p.lossRing[slot] = !big;
            if (!big) {
                p.lossCount++;
            }
            p.rounds++;
            before = snapshot(p);
            if (p.verdict.round(small, big)) {
                p.since = Instant.now();
                now = snapshot(p);
            }
        }
        if (now != null) {
            try {
                listener.changed(before, now);
            } catch (RuntimeException e) {
                LOG.warn("heartbeat listener failed: {}", e.toString());
            }
        }
    }

    private void send(Peer p, long r) {
        InetSocketAddress to = new InetSocketAddress(p.address, port);
        sendPing(to, r, (byte) 0, HEADER);
        sendPing(to, r, (byte) 1, fullSize - IP_UDP);
    }

    private void sendPing(InetSocketAddress to, long r, byte kind, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putInt(MAGIC).put(VERSION).put(PING).put(kind).put((byte) 0).putInt((int) r).putLong(System.nanoTime())
                .putShort((short) length);
        b.position(length).flip();
        transmit(b, to);
    }

    private void transmit(ByteBuffer b, InetSocketAddress to) {
        try {
            int n = b.remaining();
            channel.send(b, to);
            bytesSent.add(n + IP_UDP);
        } catch (ClosedChannelException e) {
            running = false;
        } catch (IOException e) {
            // EMSGSIZE, no route, ... : this heartbeat is lost, which is what the verdict should see
            LOG.debug("heartbeat to {}: {}", to, e.toString());
        }
    }

    private void receiveLoop() {
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (running) {
            b.clear();
            InetSocketAddress from;
            try {
                from = (InetSocketAddress) channel.receive(b);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (running) {
                    LOG.debug("heartbeat receive: {}", e.toString());
                }
                continue;
            }
            if (from == null) {
                continue;
            }
            b.flip();
            bytesReceived.add(b.remaining() + IP_UDP);
            handle(b, from);
        }
    }

    void handle(ByteBuffer b, InetSocketAddress from) {
        int length = b.remaining();
        if (length < HEADER || b.getInt() != MAGIC || b.get() != VERSION) {
            malformed.increment();
            return;
        }
        byte type = b.get();
        byte kind = b.get();
        b.get();
        int r = b.getInt();
        long sent = b.getLong();
        int echoedLength = b.getShort() & 0xffff;
        if (type == PING) {
            if (echoedLength != length) {
                malformed.increment();
                return;
            }
            ByteBuffer a = ByteBuffer.allocate(HEADER);
            a.putInt(MAGIC).put(VERSION).put(ANSWER).put(kind).put((byte) 0).putInt(r).putLong(sent)
                    .putShort((short) length).flip();
            transmit(a, from);
        } else if (type == ANSWER) {
            Peer p = peers.get(from.getAddress());
            if (p == null) {
                return;
            }
            long round = r & 0xffffffffL;
            if (kind == 0) {
                p.lastSmallAnswered = Math.max(p.lastSmallAnswered, round);
            } else if (echoedLength == fullSize - IP_UDP) {
                p.lastBigAnswered = Math.max(p.lastBigAnswered, round);
                long rtt = System.nanoTime() - sent;
                if (rtt >= 0 && rtt < 60_000_000_000L) {
                    long old = p.rttNanos;
                    p.rttNanos = old < 0 ? rtt : (old * 7 + rtt) / 8;
                }
            }
        } else {
            malformed.increment();
        }
    }

    @Override
    public synchronized void close() {
        running = false;
        if (timer != null) {
            timer.shutdownNow();
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing the heartbeat socket: {}", e.toString());
        }
        if (receiver != null) {
            try {
                receiver.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
