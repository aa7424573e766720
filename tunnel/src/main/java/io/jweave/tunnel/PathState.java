package io.jweave.tunnel;

import java.net.InetAddress;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer's liveness, RTT, loss and path MTU over the transports, fed by PINGs and PONGs. Guarded by its
 * own monitor (the timer thread sends PINGs; receive threads deliver PONGs).
 */
final class PathState {
    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

    static final long UP_NANOS = TimeUnit.MILLISECONDS.toNanos(3500);
    static final long PING_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int LOSS_WINDOW = 20;
    /** Unanswered probes at the current pmtu (1 s apart) before searching for a smaller one. */
    static final int VERIFY_LOST = 3;
    static final long SEARCH_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long REPROBE_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final int MIN_PMTU = 576;
    static final int[] CANDIDATES = {1500, 1480, 1460, 1440, 1420, 1400, 1380, 1360, 1340, 1300, 1280, 1240, 1200,
            1100, 1000, 900, 800, 700, 576};
    static final int FLAG_PROBE = 1;

    /** Sends one PING: over TCP or UDP; a probe is padded so the outer IPv4 datagram has size bytes. */
    interface Pinger {
        void ping(boolean tcp, int id, int flags, int size);
    }

    final InetAddress peer;
    final int underlayMtu;
    private final int[] candidates;
    /** Read without the lock by the sending path. */
    volatile int pmtu;

    private boolean watched;
    private long lastUdpPong;
    private long lastTcpPong;
    private boolean anyUdp;
    private boolean anyTcp;
    private long lastSmallUdpPong;
    private boolean anySmallUdp;
    private long udpRtt = -1;
    private long tcpRtt = -1;
    private final int[] ringId = new int[LOSS_WINDOW];
    private final long[] ringSent = new long[LOSS_WINDOW];
    private final boolean[] ringAnswered = new boolean[LOSS_WINDOW];
    private int ringPos;
    private int ringCount;
    private int nextId = ThreadLocalRandom.current().nextInt();
    private long nextPing;
    private Transport transport = Transport.NONE;
    private long sinceMillis = System.currentTimeMillis();
    private String reason = "not watched";
    private boolean everUdp;
    // path MTU discovery
    private int unansweredVerify;
    private boolean searching;
    private long searchEnd;
    private long searchStart;
    private int searchBest;
    private long nextUpProbe;

    PathState(InetAddress peer, int underlayMtu) {
        this.peer = peer;
        this.underlayMtu = underlayMtu;
        this.pmtu = underlayMtu;
        int extra = underlayMtu > CANDIDATES[0] ? 1 : 0;
        int n = extra;
        for (int c : CANDIDATES) {
            if (c <= underlayMtu) {
                n++;
            }
        }
        candidates = new int[n];
        int i = 0;
        if (extra == 1) {
            candidates[i++] = underlayMtu;
        }
        for (int c : CANDIDATES) {
            if (c <= underlayMtu) {
                candidates[i++] = c;
            }
        }
    }

    synchronized void watch(boolean on, long now) {
        if (on == watched) {
            return;
        }
        watched = on;
        if (on) {
            anyUdp = anyTcp = anySmallUdp = false;
            ringCount = 0;
            transport = Transport.NONE;
            sinceMillis = System.currentTimeMillis();
            reason = "watched; no answer yet";
            nextPing = now;
            unansweredVerify = 0;
            searching = false;
            nextUpProbe = now + REPROBE_NANOS;
        }
    }

    synchronized boolean watched() {
        return watched;
    }

    /** Timer (watched peers with a session): sends the PINGs that are due; ends a PMTU search. */
    synchronized void tick(long now, boolean tcpOpen, Pinger out) {
        if (searching && now - searchEnd >= 0) {
            searching = false;
            unansweredVerify = 0;
            nextUpProbe = now + REPROBE_NANOS;
            boolean alive = anySmallUdp && lastSmallUdpPong - searchStart >= 0;
            if (searchBest > 0 || alive) {
                int to = searchBest > 0 ? searchBest : MIN_PMTU;
                log.info("path mtu to {}: {} -> {} (probes of {} bytes got no answer while small pings did)",
                        peer.getHostAddress(), pmtu, to, pmtu);
                pmtu = to;
            }
        }
        if (now - nextPing < 0) {
            return;
        }
        nextPing = now + PING_NANOS;
        int id = nextId++;
        ringId[ringPos] = id;
        ringSent[ringPos] = now;
        ringAnswered[ringPos] = false;
        ringPos = (ringPos + 1) % LOSS_WINDOW;
        ringCount = Math.min(ringCount + 1, LOSS_WINDOW);
        out.ping(false, id, 0, 0);
        if (tcpOpen) {
            out.ping(true, nextId++, 0, 0);
        }
        if (searching) {
            return;
        }
        boolean udpAlive = anySmallUdp && now - lastSmallUdpPong < UP_NANOS;
        if (!udpAlive) {
            unansweredVerify = 0; // a dead path is not an MTU problem
        } else if (unansweredVerify >= VERIFY_LOST) {
            searching = true;
            searchStart = now;
            searchEnd = now + SEARCH_NANOS;
            searchBest = 0;
            for (int c : candidates) {
                if (c < pmtu) {
                    out.ping(false, nextId++, FLAG_PROBE, c);
                }
            }
            return;
        }
        out.ping(false, nextId++, FLAG_PROBE, pmtu);
        unansweredVerify++;
        if (now - nextUpProbe >= 0) {
            nextUpProbe = now + REPROBE_NANOS;
            for (int c : candidates) {
                if (c > pmtu) {
                    out.ping(false, nextId++, FLAG_PROBE, c);
                }
            }
        }
    }

    /** A PONG arrived (authenticated) over tcp or UDP. size = the outer IPv4 size the peer received (UDP). */
    synchronized void pong(long now, boolean tcp, int flags, int id, long echoNanos, int size) {
        long rtt = Math.max(0, (now - echoNanos) / 1000);
        if (tcp) {
            anyTcp = true;
            lastTcpPong = now;
            tcpRtt = tcpRtt < 0 ? rtt : tcpRtt + (rtt - tcpRtt) / 8;
            return;
        }
        anyUdp = true;
        lastUdpPong = now;
        if ((flags & FLAG_PROBE) == 0) {
            anySmallUdp = true;
            lastSmallUdpPong = now;
            udpRtt = udpRtt < 0 ? rtt : udpRtt + (rtt - udpRtt) / 8;
            for (int i = 0; i < ringCount; i++) {
                if (ringId[i] == id) {
                    ringAnswered[i] = true;
                }
            }
            return;
        }
        if (size > underlayMtu || size < MIN_PMTU) {
            return;
        }
        if (searching) {
            searchBest = Math.max(searchBest, size);
        }
        if (size >= pmtu) {
            unansweredVerify = 0;
        }
        if (size > pmtu && !searching) {
            log.info("path mtu to {}: {} -> {} (a probe of {} bytes was answered)", peer.getHostAddress(), pmtu, size,
                    size);
            pmtu = size;
        }
    }

    /**
     * Timer: decides the transport from what answered. Returns {before, now} if it changed, else null.
     */
    synchronized PeerPath[] evaluate(long now, boolean tcpConfigured) {
        boolean udpUp = anyUdp && now - lastUdpPong < UP_NANOS;
        boolean tcpUp = anyTcp && now - lastTcpPong < UP_NANOS;
        Transport t = udpUp ? Transport.UDP : tcpUp ? Transport.TCP : Transport.NONE;
        if (t == transport) {
            return null;
        }
        PeerPath before = snapshot(now);
        String why;
        if (t == Transport.UDP) {
            why = everUdp ? "udp answers again" : "udp answers";
        } else if (t == Transport.TCP) {
            why = transport == Transport.UDP ? "no answer over udp for 3.5 s; tcp answers" : "tcp answers; udp does not";
        } else if (transport == Transport.UDP) {
            why = "no answer over udp for 3.5 s" + (tcpConfigured ? "; none over tcp either" : "");
        } else {
            why = "no answer over tcp for 3.5 s; none over udp either";
        }
        everUdp |= t == Transport.UDP;
        transport = t;
        sinceMillis = System.currentTimeMillis();
        reason = why;
        return new PeerPath[] {before, snapshot(now)};
    }

    synchronized Transport transport() {
        return transport;
    }

    synchronized PeerPath snapshot(long now) {
        int considered = 0;
        int lost = 0;
        for (int i = 0; i < ringCount; i++) {
            if (now - ringSent[i] >= PING_NANOS) {
                considered++;
                if (!ringAnswered[i]) {
                    lost++;
                }
            }
        }
        return new PeerPath(peer, transport, anyUdp && now - lastUdpPong < UP_NANOS,
                anyTcp && now - lastTcpPong < UP_NANOS, udpRtt, tcpRtt,
                considered == 0 ? 0.0 : (double) lost / considered, pmtu, Instant.ofEpochMilli(sinceMillis), reason);
    }
}
