package io.jweave.router.secure;

import io.jweave.netlink.Handle;
import io.jweave.netlink.Link;
import io.jweave.router.MeshPassword;
import io.jweave.router.RouterConfig;
import io.jweave.router.metrics.RouterMetrics;
import io.jweave.router.status.PeerSecurity;
import io.jweave.router.paths.TunnelPaths;
import io.jweave.tunnel.PeerPath;
import io.jweave.tunnel.PeerState;
import io.jweave.tunnel.Psk;
import io.jweave.tunnel.TunDevice;
import io.jweave.tunnel.Tunnel;
import io.jweave.tunnel.TunnelConfig;
import io.jweave.tunnel.TunnelListener;
import io.jweave.tunnel.TunnelStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's protection on this host, wired from the {@code tunnel} module and netlink-ffi.
 *
 * <p>With a password: a persistent TUN device {@value #TUN}, policy routing that sends this host's own
 * VXLAN and mesh packets to peers into it ({@link UnderlayPolicy}), an nftables filter that drops
 * plaintext VXLAN and mesh packets arriving from the underlay, and the {@link Tunnel} that encrypts what
 * the TUN gives it and decrypts what peers send. All of it is in place before Hazelcast opens a socket,
 * and it stays when the router stops or dies (fail closed: the TUN outlives the process, so the routes
 * into it stay and nothing leaves in plaintext; traffic resumes when a router takes the TUN again).
 *
 * <p>Without a password: whatever a password run left is removed; a TUN device that lives as long as the
 * process and the tunnel in open mode (a published key: no protection from an active attacker) carry a
 * peer's VXLAN packets while {@code paths/} routes them there (the kernel path to that peer failed); the
 * tunnel also tells routers with a password why they are refused and asks join targets whether they want
 * one. Both modes give {@code paths/} the tunnel's view of each peer ({@link TunnelPaths}).
 */
public final class MeshEncryption implements PeerSecurity, TunnelPaths, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MeshEncryption.class);

    /** The TUN device of the encrypted tunnel (one per host). */
    public static final String TUN = "jwtun0";
    /** PBKDF2 salt of the pre-shared key: the same for every mesh, so that only the password matters. */
    static final String PSK_SALT = "jweave-mesh-psk-v1";

    private final Tunnel tunnel;
    private final TunDevice tun;
    private final UnderlayPolicy policy;
    private final boolean password;
    private final int tunIndex;
    private volatile boolean startFailed;
    private final Map<String, Refusal> refusals = new ConcurrentHashMap<>();

    private MeshEncryption(Tunnel tunnel, TunDevice tun, UnderlayPolicy policy, boolean password, int tunIndex) {
        this.tunnel = tunnel;
        this.tun = tun;
        this.policy = policy;
        this.password = password;
        this.tunIndex = tunIndex;
    }

    /**
     * Sets up this host's side of the mesh's protection, as the configuration asks (with or without a
     * password), before anything talks to peers.
     *
     * @param underlayMtu the MTU of the link holding the advertise address
     */
    public static MeshEncryption start(RouterConfig config, Handle host, int underlayMtu) {
        InetAddress adv = config.advertiseAddr();
        UnderlayPolicy policy = new UnderlayPolicy(host, config.vxlanPort(), config.meshPort(), adv);
        MeshPassword password = config.password();
        Listener listener = new Listener();
        InetSocketAddress listen = new InetSocketAddress(adv, config.tunnelPort());
        if (password == null) {
            policy.remove();
            deleteTun(host); // a persistent one of a run with a password
            return startOpen(config, host, underlayMtu, policy, listener, listen);
        }
        long t0 = System.nanoTime();
        Psk psk;
        byte[] secret = password.bytes();
        try {
            psk = Psk.fromPassword(secret, PSK_SALT);
        } finally {
            java.util.Arrays.fill(secret, (byte) 0);
        }
        LOG.info("mesh password: key derived in {} ms", (System.nanoTime() - t0) / 1_000_000);
        warnIfC1Only();
        int tunMtu = underlayMtu - Tunnel.OVERHEAD;
        TunDevice tun;
        try {
            tun = TunDevice.open(TUN, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the tunnel's device " + TUN + " (/dev/net/tun; in a container: "
                    + "--device /dev/net/tun): " + e.getMessage(), e);
        }
        Tunnel t = null;
        try {
            int index = upTun(host, tunMtu);
            policy.install(index);
            t = new Tunnel(new TunnelConfig(listen, config.tunnelPort(), psk, false, config.rekeyAfter(), tunMtu,
                    underlayMtu, config.tunnelTcpPort()), tun, listener);
            MeshEncryption me = new MeshEncryption(t, tun, policy, true, index);
            listener.owner = me;
            startTunnel(t, config);
            LOG.info("mesh encrypted: tunnel on udp {}:{} (tcp {} as a last resort), {} mtu {}, vxlan udp {} and mesh "
                    + "tcp {} routed into it, plaintext from the underlay dropped", adv.getHostAddress(),
                    config.tunnelPort(), config.tunnelTcpPort(), TUN, tunMtu, config.vxlanPort(), config.meshPort());
            return me;
        } catch (RuntimeException e) {
            if (t != null) {
                t.close();
            }
            tun.close(); // the device stays (persistent) and so do the routes: fail closed
            throw e;
        }
    }

    /**
     * Without a password: a TUN device that lives as long as this process (a peer's VXLAN packets are routed
     * into it only while the kernel path to that peer fails; if the router dies, the device and those routes
     * go and the kernel path is all there is), and a tunnel in open mode. If the device cannot be made, the
     * tunnel only listens (no fallback; said once).
     */
    private static MeshEncryption startOpen(RouterConfig config, Handle host, int underlayMtu, UnderlayPolicy policy,
                                            Listener listener, InetSocketAddress listen) {
        TunDevice tun = null;
        int index = 0;
        try {
            tun = TunDevice.open(TUN, false);
            // VXLAN packets as large as the underlay carries go in whole; the tunnel fragments what does not fit
            index = upTun(host, underlayMtu);
        } catch (IOException | RuntimeException e) {
            if (tun != null) {
                tun.close();
                tun = null;
            }
            LOG.warn("cannot create the tunnel's device {} ({}; in a container: --device /dev/net/tun): traffic to a "
                    + "peer whose kernel path fails has nowhere to go", TUN, e.getMessage());
        }
        TunnelConfig cfg = tun == null
                ? new TunnelConfig(listen, config.tunnelPort(), null, false, config.rekeyAfter(), underlayMtu, underlayMtu, 0)
                : new TunnelConfig(listen, config.tunnelPort(), null, true, config.rekeyAfter(), underlayMtu, underlayMtu,
                        config.tunnelTcpPort());
        Tunnel t = new Tunnel(cfg, tun, listener);
        MeshEncryption me = new MeshEncryption(t, tun, policy, false, index);
        listener.owner = me;
        try {
            t.start();
            if (tun != null) {
                warnIfC1Only();
                LOG.info("fallback tunnel ready: udp {}:{}, tcp {}, {} mtu {} (a peer's traffic moves into it when the "
                        + "kernel path to it fails)", listen.getAddress().getHostAddress(), config.tunnelPort(),
                        config.tunnelTcpPort(), TUN, underlayMtu);
            }
        } catch (IOException e) {
            // Only the fallback and diagnostics depend on it without a password: say so and go on.
            LOG.warn("cannot listen on {}:{} ({}): no fallback path, and routers with a password will not be told why "
                    + "this one does not join them", listen.getAddress().getHostAddress(), config.tunnelPort(), e.getMessage());
            me.startFailed = true;
        }
        return me;
    }

    private static int upTun(Handle host, int mtu) {
        host.links().setMtu(TUN, mtu);
        host.links().setUp(TUN);
        Link link = host.links().byName(TUN).orElseThrow(() -> new IllegalStateException(TUN + " vanished"));
        relaxReversePathFilter();
        return link.index();
    }

    private static void warnIfC1Only() {
        if (c1Only(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())) {
            LOG.warn("this JVM compiles with C1 only (-XX:TieredStopAtLevel below 4): the tunnel will carry about a tenth "
                    + "of what it can (./jweave and container mode give a router C2)");
        }
    }

    /** Whether JVM flags leave only C1 (the last {@code -XX:TieredStopAtLevel} wins). */
    static boolean c1Only(java.util.List<String> jvmArgs) {
        String level = null;
        for (String a : jvmArgs) {
            if (a.startsWith("-XX:TieredStopAtLevel=")) {
                level = a.substring("-XX:TieredStopAtLevel=".length());
            }
        }
        return level != null && !level.equals("4");
    }

    /** A TUN left by a run with a password: without one it must go (its routes are gone with the rules). */
    private static void deleteTun(Handle host) {
        if (host.links().byName(TUN).isEmpty()) {
            return;
        }
        try {
            TunDevice.delete(TUN);
        } catch (IOException e) {
            LOG.warn("cannot delete the tunnel device {} of an earlier run with a password: {}", TUN, e.getMessage());
        }
    }

    private static void startTunnel(Tunnel t, RouterConfig config) {
        try {
            t.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the tunnel's UDP port " + config.advertiseAddr().getHostAddress()
                    + ":" + config.tunnelPort() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decrypted packets come in on the TUN from peers' addresses whose routes point at the underlay:
     * strict reverse-path filtering would drop them. Loose or off is needed on the TUN; the effective value
     * is the larger of {@code all} and the device's, so a host with {@code all = 1} is told.
     */
    private static void relaxReversePathFilter() {
        java.nio.file.Path dev = java.nio.file.Path.of("/proc/sys/net/ipv4/conf", TUN, "rp_filter");
        try {
            java.nio.file.Files.writeString(dev, "0");
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot write {}: {}", dev, e.toString());
        }
        try {
            String all = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/conf/all/rp_filter")).trim();
            if (all.equals("1")) {
                LOG.warn("net.ipv4.conf.all.rp_filter is 1 (strict): packets decrypted from peers may be dropped; "
                        + "set it to 2 (loose) or 0");
            }
        } catch (IOException e) {
            LOG.debug("cannot read rp_filter: {}", e.toString());
        }
    }

    /** Bytes the tunnel adds under VXLAN (0 without a password): comes off every network's MTU. */
    public int overhead() {
        return password ? Tunnel.OVERHEAD : 0;
    }

    /** Asks routers that are no members whether they want a password (only without one: with one, traffic asks). */
    public void probe(Collection<InetAddress> routers) {
        if (!password) {
            for (InetAddress a : routers) {
                tunnel.probe(a);
            }
        }
    }

    /** Starts new sessions with every peer now (tests; the tunnel rekeys on its own every {@code --rekey-interval}). */
    public void rekeyAll() {
        tunnel.rekeyAll();
    }

    public TunnelStats stats() {
        return tunnel.stats();
    }

    @Override
    public boolean passwordSet() {
        return password;
    }

    @Override
    public boolean carries() {
        return tun != null && !startFailed;
    }

    @Override
    public int deviceIndex() {
        return tun == null ? 0 : tunIndex;
    }

    @Override
    public void watch(Collection<InetAddress> peers) {
        if (carries()) {
            tunnel.watch(peers);
        }
    }

    @Override
    public Status status(InetAddress peer) {
        if (!carries()) {
            return Status.NONE;
        }
        PeerPath p = tunnel.path(peer).orElse(null);
        if (p == null) {
            return Status.NONE;
        }
        TunnelPaths.Transport t = switch (p.transport()) {
            case UDP -> TunnelPaths.Transport.UDP;
            case TCP -> TunnelPaths.Transport.TCP;
            default -> TunnelPaths.Transport.NONE;
        };
        return new Status(t, p.reason(), p.pmtu());
    }

    @Override
    public boolean encryptedWith(String ip) {
        if (!password) {
            return false;
        }
        for (PeerState p : tunnel.peers()) {
            if (p.established() && p.address().getHostAddress().equals(ip)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Map<String, Refusal> refusals() {
        return Map.copyOf(refusals);
    }

    /** The tunnel's and the filter's counters on {@code /metrics}. */
    public void bindMetrics(RouterMetrics m) {
        String dropped = "Packets the tunnel dropped, by reason";
        m.bindCounter("jweave.tunnel.dropped", dropped, () -> tunnel.stats().replayed(), "reason", "replayed");
        m.bindCounter("jweave.tunnel.dropped", dropped, () -> tunnel.stats().forged(), "reason", "forged");
        m.bindCounter("jweave.tunnel.dropped", dropped, () -> tunnel.stats().malformed(), "reason", "malformed");
        m.bindCounter("jweave.tunnel.dropped", dropped, () -> tunnel.stats().unknownSession(), "reason", "unknown_session");
        m.bindCounter("jweave.tunnel.dropped", dropped, () -> tunnel.stats().queueDrops(), "reason", "queue_full");
        m.bindCounter("jweave.tunnel.dropped", dropped, () -> tunnel.stats().spoofed(), "reason", "spoofed_source");
        m.bindCounter("jweave.tunnel.dropped", dropped, () -> tunnel.stats().fragmentDrops(), "reason", "fragments");
        m.bindCounter("jweave.tunnel.fragmented", "Inner packets the tunnel sent in pieces (larger than the path MTU)",
                () -> tunnel.stats().fragmented());
        m.bindCounter("jweave.tunnel.tcp.frames", "Tunnel messages over the TCP transport", () -> tunnel.stats().tcpTxFrames(),
                "direction", "tx");
        m.bindCounter("jweave.tunnel.tcp.frames", "Tunnel messages over the TCP transport", () -> tunnel.stats().tcpRxFrames(),
                "direction", "rx");
        m.bindCounter("jweave.tunnel.packets", "Packets through the tunnel", () -> tunnel.stats().txPackets(), "direction", "tx");
        m.bindCounter("jweave.tunnel.packets", "Packets through the tunnel", () -> tunnel.stats().rxPackets(), "direction", "rx");
        m.bindCounter("jweave.tunnel.bytes", "Bytes through the tunnel (inner packets)", () -> tunnel.stats().txBytes(), "direction", "tx");
        m.bindCounter("jweave.tunnel.bytes", "Bytes through the tunnel (inner packets)", () -> tunnel.stats().rxBytes(), "direction", "rx");
        m.bindCounter("jweave.tunnel.handshakes", "Tunnel handshakes", () -> tunnel.stats().handshakesInitiated(), "result", "initiated");
        m.bindCounter("jweave.tunnel.handshakes", "Tunnel handshakes", () -> tunnel.stats().handshakesCompleted(), "result", "completed");
        m.bindCounter("jweave.tunnel.rekeys", "Tunnel sessions replaced by a newer one (rekeying)", () -> tunnel.stats().rekeys());
        String plain = "Plaintext VXLAN or mesh packets from the underlay dropped (a router with a password only)";
        m.bindCounter("jweave.underlay.plaintext.dropped", plain, () -> policy.dropped(UnderlayPolicy.Plane.VXLAN),
                "plane", "vxlan");
        m.bindCounter("jweave.underlay.plaintext.dropped", plain, () -> policy.dropped(UnderlayPolicy.Plane.MESH),
                "plane", "mesh");
        m.bindGauge("jweave.mesh.encrypted", "1 when this router has a password (everything between routers encrypted)",
                () -> password ? 1 : 0);
    }

    @Override
    public void close() {
        tunnel.close();
        if (tun != null) {
            tun.close(); // with a password persistent: the device and the routes into it stay until a router takes it again
        }
    }

    /** Logs refusals once per change and keeps them for the status API. */
    private static final class Listener implements TunnelListener {
        volatile MeshEncryption owner;
        private final Map<String, String> logged = new ConcurrentHashMap<>();

        @Override
        public void peerUp(InetAddress peer) {
            String ip = peer.getHostAddress();
            MeshEncryption me = owner;
            if (me != null) {
                me.refusals.remove(ip);
            }
            if (logged.remove(ip) != null) {
                LOG.info("peer {}: encrypted session up (was refused)", ip);
            } else {
                LOG.debug("peer {}: encrypted session up", ip);
            }
        }

        @Override
        public void peerRefused(InetAddress peer, String reason) {
            String ip = peer.getHostAddress();
            MeshEncryption me = owner;
            if (me != null) {
                me.refusals.compute(ip, (k, old) -> old != null && old.reason().equals(reason) ? old
                        : new Refusal(reason, Instant.now()));
            }
            if (!reason.equals(logged.put(ip, reason))) {
                LOG.warn("peer {} refused: {}", ip, reason);
            }
        }
    }
}
