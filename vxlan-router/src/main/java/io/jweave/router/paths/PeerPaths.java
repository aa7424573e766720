package io.jweave.router.paths;

import io.jweave.health.Heartbeats;
import io.jweave.health.PathVerdict;
import io.jweave.netlink.Handle;
import io.jweave.router.metrics.RouterMetrics;
import io.micrometer.core.instrument.Tags;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which path each peer's traffic takes, chosen all the time from heartbeats and the tunnel's state, and
 * applied per peer pair.
 *
 * <p>Without a password: heartbeats travel the kernel VXLAN path ({@link HeartbeatPath}); while it carries
 * full-size frames the peer is on {@code vxlan}; when it fails ({@link PathVerdict}: blocked, or an MTU
 * black hole) the peer's VXLAN packets are routed into the tunnel ({@link FallbackRoutes}), which reaches
 * it over UDP ({@code tunnel}) or TCP ({@code tcp}); when nothing answers, {@code down} (the kernel path is
 * kept: it costs nothing and may come back first). With a password every peer is in the tunnel anyway:
 * the datapath is the tunnel's transport, and heartbeats (through the tunnel) measure it.
 */
public final class PeerPaths implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerPaths.class);

    /** A peer's datapath, as {@code GET /peers} names it. */
    public enum Kind {
        VXLAN, TUNNEL, TCP, DOWN;

        public String label() {
            return name().toLowerCase();
        }
    }

    /** One peer's path for the status API. */
    public record View(Kind datapath, String reason, Instant since, long rttMicros, double loss, long switches) {
    }

    record Decision(Kind kind, String reason) {
    }

    private static final class PeerState {
        final InetAddress address;
        volatile String name;
        volatile Kind kind = Kind.VXLAN;
        volatile String reason = "heartbeats starting";
        volatile Instant since = Instant.now();
        volatile long switches;

        PeerState(InetAddress address, String name) {
            this.address = address;
            this.name = name;
        }
    }

    private final TunnelPaths tunnel;
    private final HeartbeatPath heartbeatPath;
    private final Heartbeats heartbeats;
    private final FallbackRoutes routes;
    private final Supplier<Map<InetAddress, String>> members;
    private final Map<InetAddress, PeerState> peers = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer;

    private PeerPaths(TunnelPaths tunnel, HeartbeatPath heartbeatPath, Heartbeats heartbeats, FallbackRoutes routes,
                      Supplier<Map<InetAddress, String>> members) {
        this.tunnel = tunnel;
        this.heartbeatPath = heartbeatPath;
        this.heartbeats = heartbeats;
        this.routes = routes;
        this.members = members;
    }

    /**
     * Sets up the heartbeat namespace and the fallback rules and starts checking.
     *
     * @param members the connected peers (advertise address → name), read every second
     * @param mtu     the networks' largest MTU (full-size heartbeats are this big)
     */
    public static PeerPaths start(Handle host, Path nsPath, InetAddress self, int vxlanPort, int mtu, TunnelPaths tunnel,
                                  Supplier<Map<InetAddress, String>> members) {
        FallbackRoutes routes = new FallbackRoutes(host, vxlanPort, self);
        if (tunnel.passwordSet() || !tunnel.carries()) {
            routes.remove();
            routes = null;
        } else {
            routes.install();
        }
        HeartbeatPath hp = new HeartbeatPath(host, nsPath, self, vxlanPort, mtu);
        Heartbeats beats = null;
        try {
            hp.create();
            PeerPaths[] owner = new PeerPaths[1];
            beats = new Heartbeats(hp.open(), HeartbeatPath.PORT, mtu, Duration.ofSeconds(1), (before, now) -> {
                if (owner[0] != null) {
                    owner[0].verdictChanged(before, now);
                }
            });
            PeerPaths pp = new PeerPaths(tunnel, hp, beats, routes, members);
            owner[0] = pp;
            beats.start();
            pp.timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "jweave-paths");
                t.setDaemon(true);
                return t;
            });
            pp.timer.scheduleWithFixedDelay(pp::tick, 0, 500, TimeUnit.MILLISECONDS);
            return pp;
        } catch (RuntimeException e) {
            if (beats != null) {
                beats.close();
            }
            hp.close();
            if (routes != null) {
                routes.remove();
            }
            throw e;
        }
    }

    private void verdictChanged(Heartbeats.Health before, Heartbeats.Health now) {
        LOG.debug("heartbeats to {}: {} -> {}", now.peer().getHostAddress(), before.usable() ? "answered" : "failed",
                now.usable() ? "answered" : now.failure());
    }

    private void tick() {
        try {
            Map<InetAddress, String> m = members.get();
            peers.keySet().retainAll(m.keySet());
            m.forEach((a, n) -> peers.computeIfAbsent(a, k -> new PeerState(k, n)).name = n);
            heartbeatPath.peers(m.keySet());
            heartbeats.targets(m.keySet());
            tunnel.watch(m.keySet());
            if (routes != null) {
                for (InetAddress a : routes.onTunnel()) {
                    if (!m.containsKey(a)) {
                        routes.route(a, false, tunnel.deviceIndex()); // gone from the mesh
                    }
                }
            }
            Map<InetAddress, Heartbeats.Health> health = heartbeats.health();
            for (PeerState p : peers.values()) {
                Decision d = decide(tunnel.passwordSet(), health.get(p.address), tunnel.status(p.address),
                        heartbeats.fullSize());
                apply(p, d);
            }
        } catch (RuntimeException e) {
            LOG.warn("checking peers' paths failed (retried): {}", e.toString());
        }
    }

    private void apply(PeerState p, Decision d) {
        if (d.kind() == p.kind) {
            p.reason = d.reason();
            return;
        }
        Kind old = p.kind;
        if (routes != null) {
            boolean viaTunnel = d.kind() == Kind.TUNNEL || d.kind() == Kind.TCP;
            routes.route(p.address, viaTunnel, tunnel.deviceIndex());
        }
        p.kind = d.kind();
        p.reason = d.reason();
        p.since = Instant.now();
        p.switches++;
        LOG.info("peer {} ({}): datapath {} -> {}: {}", p.name, p.address.getHostAddress(), old.label(),
                d.kind().label(), d.reason());
    }

    /** The datapath a peer should use, and why. */
    static Decision decide(boolean password, Heartbeats.Health h, TunnelPaths.Status t, int fullSize) {
        if (password) {
            return switch (t.transport()) {
                case UDP -> new Decision(Kind.TUNNEL, "encrypted tunnel over udp" + pmtu(t));
                case TCP -> new Decision(Kind.TCP, "encrypted tunnel over tcp: " + reasonOr(t, "udp unanswered"));
                case NONE -> new Decision(Kind.DOWN, "the tunnel has no answer from it: " + reasonOr(t, "unreachable"));
            };
        }
        if (h == null) {
            return new Decision(Kind.VXLAN, "heartbeats starting");
        }
        if (h.usable()) {
            return new Decision(Kind.VXLAN, "heartbeats answered (" + fullSize + "-byte ones included)");
        }
        String why = h.failure() == PathVerdict.Failure.BLACK_HOLE
                ? "kernel path: full-size heartbeats (" + fullSize + " bytes) lost while small ones are answered "
                        + "(an MTU black hole)"
                : "kernel path: no heartbeat answered over udp " + HeartbeatPath.SOURCE_PORT + " (blocked?)";
        return switch (t.transport()) {
            case UDP -> new Decision(Kind.TUNNEL, why + "; tunnel over udp" + pmtu(t));
            case TCP -> new Decision(Kind.TCP, why + "; tunnel over tcp (" + reasonOr(t, "udp unanswered") + ")");
            case NONE -> new Decision(Kind.DOWN, why + "; the tunnel has no answer either");
        };
    }

    private static String pmtu(TunnelPaths.Status t) {
        return t.pmtu() > 0 ? " (path mtu " + t.pmtu() + ")" : "";
    }

    private static String reasonOr(TunnelPaths.Status t, String dflt) {
        return t.reason() == null || t.reason().isBlank() ? dflt : t.reason();
    }

    /** A peer's path now, by its advertise address. */
    public Optional<View> view(InetAddress peer) {
        PeerState p = peers.get(peer);
        if (p == null) {
            return Optional.empty();
        }
        Heartbeats.Health h = heartbeats.health().get(peer);
        return Optional.of(new View(p.kind, p.reason, p.since, h == null ? -1 : h.rttMicros(), h == null ? 0 : h.loss(),
                p.switches));
    }

    /** A peer's path for {@code GET /peers}, by underlay address; null if it is not checked. */
    public io.jweave.router.status.StatusReport.Datapath datapath(String ip) {
        InetAddress a;
        try {
            a = InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
        return view(a).map(v -> new io.jweave.router.status.StatusReport.Datapath(v.datapath().label(), v.reason(),
                v.since().toString(), v.rttMicros() < 0 ? null : v.rttMicros() / 1000.0, v.loss(), v.switches()))
                .orElse(null);
    }

    /** {@code jweave_peer_datapath}, heartbeat RTT and loss per peer, switches, heartbeat bytes. */
    public void bindMetrics(RouterMetrics m) {
        m.bindRows("jweave.peer.datapath", "1 for the path a peer's traffic takes now (vxlan, tunnel, tcp, down), 0 for "
                + "the others", () -> {
                    Map<Tags, Double> rows = new HashMap<>();
                    for (PeerState p : peers.values()) {
                        for (Kind k : Kind.values()) {
                            rows.put(Tags.of("peer", p.name, "datapath", k.label()), p.kind == k ? 1.0 : 0.0);
                        }
                    }
                    return rows;
                });
        m.bindRows("jweave.peer.datapath.switches", "Times a peer's datapath changed since the router started", () -> {
            Map<Tags, Double> rows = new HashMap<>();
            peers.values().forEach(p -> rows.put(Tags.of("peer", p.name), (double) p.switches));
            return rows;
        });
        m.bindRows("jweave.peer.heartbeat.rtt.seconds", "Round-trip time of full-size heartbeats (moving average)", () -> {
            Map<Tags, Double> rows = new HashMap<>();
            Map<InetAddress, Heartbeats.Health> h = heartbeats.health();
            peers.values().forEach(p -> {
                Heartbeats.Health x = h.get(p.address);
                if (x != null && x.rttMicros() >= 0) {
                    rows.put(Tags.of("peer", p.name), x.rttMicros() / 1e6);
                }
            });
            return rows;
        });
        m.bindRows("jweave.peer.heartbeat.loss.ratio", "Fraction of the last 20 full-size heartbeats unanswered", () -> {
            Map<Tags, Double> rows = new HashMap<>();
            Map<InetAddress, Heartbeats.Health> h = heartbeats.health();
            peers.values().forEach(p -> {
                Heartbeats.Health x = h.get(p.address);
                if (x != null) {
                    rows.put(Tags.of("peer", p.name), x.loss());
                }
            });
            return rows;
        });
        m.bindCounter("jweave.heartbeat.bytes", "Heartbeat bytes (IP) sent and received", heartbeats::bytesSent,
                "direction", "tx");
        m.bindCounter("jweave.heartbeat.bytes", "Heartbeat bytes (IP) sent and received", heartbeats::bytesReceived,
                "direction", "rx");
    }

    /** Stops checking; every peer goes back to the kernel path (the tunnel is going away with the router). */
    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        heartbeats.close();
        heartbeatPath.close();
        if (routes != null) {
            routes.remove();
        }
    }
}
