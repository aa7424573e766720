package io.jweave.discovery;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.cluster.Address;
import com.hazelcast.config.Config;
import com.hazelcast.config.DiscoveryStrategyConfig;
import com.hazelcast.config.ExecutorConfig;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.ReplicatedMapConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * This router's member of the mesh: an embedded Hazelcast member joined over TCP to the peers
 * given at launch, the replicated tables, and the claims.
 *
 * <p>Threads: one event thread delivers every listener callback (membership, tables, claims) in
 * order; one housekeeping thread runs the once-a-second checks (departed owners, re-publishing,
 * claim anti-entropy, reclaim, fencing). Both are closed with the mesh.
 */
public final class Mesh implements AutoCloseable {

    /** Member attribute carrying the {@code --name}. */
    public static final String NAME_ATTRIBUTE = "jweave.name";

    private static final Logger log = LoggerFactory.getLogger(Mesh.class);
    private static final long SWEEP_EVERY_TICKS = 3;
    private static final long SYNC_EVERY_TICKS = 10;

    private final MeshConfig config;
    private final HazelcastInstance hz;
    private final ExecutorService events;
    private final ScheduledExecutorService housekeeping;
    private final Map<String, OwnedTable<?>> tables = new ConcurrentHashMap<>();
    private final List<MeshListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> orphanSweeps = new HashMap<>();
    private final Claims claims;
    private final OwnedTable<PeerInfo> peers;
    private final OwnedTable<NetworkRecord> networks;
    private final OwnedTable<EndpointRecord> endpoints;
    private final Duration startup;
    private final Set<String> everSeen = ConcurrentHashMap.newKeySet();
    private final Map<String, String> lastAddress = new ConcurrentHashMap<>();
    /** When each host's state (up/down) last changed, as seen here (epoch millis). */
    private final Map<String, Long> since = new ConcurrentHashMap<>();
    private final JoinTargets targets;
    /** Addresses ({@code ip:port}) given to {@link #forget}: not offered as seen members either. */
    private final Set<String> forgotten = ConcurrentHashMap.newKeySet();
    private long ticks;
    private volatile boolean closed;

    private Mesh(MeshConfig config, MeshMemory memory, Function<Config, HazelcastInstance> factory) {
        long t0 = System.nanoTime();
        this.config = config;
        this.targets = new JoinTargets(config.port(), config.peers());
        String tag = config.name();
        this.events = Executors.newSingleThreadExecutor(r -> daemon(r, "jweave-mesh-events-" + tag));
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "jweave-mesh-housekeeping-" + tag));
        HazelcastInstance instance;
        try {
            instance = factory.apply(hazelcastConfig(config, targets, this::seenAddresses));
        } catch (RuntimeException e) {
            events.shutdownNow();
            housekeeping.shutdownNow();
            throw new MeshException(MeshException.Kind.START_FAILED, "mesh member " + config.name() + " could not start on "
                    + config.advertise().getHostAddress() + ":" + config.port() + ": " + e.getMessage()
                    + " (is the port free and the address one of this host's?)", e);
        }
        this.hz = instance;
        long tJoined = System.nanoTime();
        try {
            refuseNameClash();
            long tChecked = System.nanoTime();
            this.peers = table("peers", PeerInfo.CODEC);
            this.networks = table("networks", NetworkRecord.CODEC);
            this.endpoints = table("endpoints", EndpointRecord.CODEC);
            long tTables = System.nanoTime();
            this.claims = new Claims(config, hz, this::memberList, events, memory);
            hz.getCluster().addMembershipListener(new Membership());
            hz.getLifecycleService().addLifecycleListener(e -> {
                if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
                    events.execute(this::afterMerge);
                }
            });
            for (Member m : memberList()) {
                remember(m);
            }
            claims.pull();
            claims.tick();
            claims.sync();
            housekeeping.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
            log.debug("mesh: {} start phases: hazelcast {} ms, name check {} ms, tables {} ms, claims {} ms", tag,
                    (tJoined - t0) / 1_000_000, (tChecked - tJoined) / 1_000_000, (tTables - tChecked) / 1_000_000,
                    (System.nanoTime() - tTables) / 1_000_000);
        } catch (RuntimeException e) {
            shutdown();
            throw e;
        }
        this.startup = Duration.ofNanos(System.nanoTime() - t0);
        log.info("mesh: {} joined cluster {} at {} in {} ms; members {}", config.name(), config.clusterName(),
                localAddress(), startup.toMillis(), names());
    }

    /** Starts this router's member and joins the mesh; remembers nothing across restarts. */
    public static Mesh start(MeshConfig config) {
        return start(config, MeshMemory.inMemory());
    }

    /** Starts this router's member and joins the mesh, with known hosts and claims remembered by {@code memory}. */
    public static Mesh start(MeshConfig config, MeshMemory memory) {
        return new Mesh(config, memory, Hazelcast::newHazelcastInstance);
    }

    /** Tests: starts the member through another Hazelcast factory (e.g. one that can cut links). */
    static Mesh start(MeshConfig config, MeshMemory memory, Function<Config, HazelcastInstance> factory) {
        return new Mesh(config, memory, factory);
    }

    /**
     * The Hazelcast configuration, built in code. Public so that `jweave status` and tests can show
     * or check it; see README for why each setting is what it is.
     */
    public static Config hazelcastConfig(MeshConfig mc) {
        return hazelcastConfig(mc, new JoinTargets(mc.port(), mc.peers()), List::of);
    }

    private static Config hazelcastConfig(MeshConfig mc, JoinTargets targets,
                                          java.util.function.Supplier<java.util.Collection<String>> seen) {
        Config c = new Config();
        c.setClusterName(mc.clusterName());
        c.setInstanceName("jweave-" + mc.name() + "-" + UUID.randomUUID().toString().substring(0, 8));
        c.setUserContext(new ConcurrentHashMap<>());
        c.getMemberAttributeConfig().setAttribute(NAME_ATTRIBUTE, mc.name());

        long failSeconds = Math.max(2, mc.failureTimeout().toSeconds());
        long mergeSeconds = Math.max(1, mc.mergeInterval().toSeconds());
        Map<String, String> p = new java.util.LinkedHashMap<>();
        // safety: nothing leaves this host except to the given peers, on the given address
        p.put("hazelcast.phone.home.enabled", "false");
        p.put("hazelcast.socket.bind.any", "false");
        p.put("hazelcast.shutdownhook.enabled", "false");
        p.put("hazelcast.logging.type", "slf4j");
        p.put("hazelcast.health.monitoring.level", "OFF");
        p.put("hazelcast.tcp.join.port.try.count", "1");
        // join targets come from our own discovery strategy (the peer list, changeable at runtime)
        p.put("hazelcast.discovery.enabled", "true");
        // membership: quick to join, quick to notice a departure, quick to heal
        p.put("hazelcast.initial.min.cluster.size", "1");
        p.put("hazelcast.wait.seconds.before.join", "0");
        p.put("hazelcast.max.wait.seconds.before.join", "1");
        p.put("hazelcast.heartbeat.interval.seconds", "1");
        p.put("hazelcast.max.no.heartbeat.seconds", Long.toString(failSeconds));
        p.put("hazelcast.heartbeat.failuredetector.type", "deadline");
        p.put("hazelcast.member.list.publish.interval.seconds", "5");
        p.put("hazelcast.merge.first.run.delay.seconds", Long.toString(mergeSeconds));
        p.put("hazelcast.merge.next.run.delay.seconds", Long.toString(mergeSeconds));
        p.put("hazelcast.connection.monitor.interval", "100");
        p.put("hazelcast.connection.monitor.max.faults", "3");
        p.put("hazelcast.graceful.shutdown.max.wait", "5");
        p.put("hazelcast.partition.table.send.interval", "5");
        // small footprint: two cores, a few small tables
        p.put("hazelcast.partition.count", "31");
        p.put("hazelcast.io.thread.count", "1");
        p.put("hazelcast.operation.thread.count", "2");
        p.put("hazelcast.operation.generic.thread.count", "1");
        p.put("hazelcast.event.thread.count", "1");
        p.put("hazelcast.client.engine.thread.count", "1");
        p.put("hazelcast.client.engine.query.thread.count", "1");
        p.put("hazelcast.client.engine.blocking.thread.count", "1");
        p.put("hazelcast.sql.enabled", "false");
        p.forEach(c::setProperty);

        NetworkConfig net = c.getNetworkConfig();
        String ip = mc.advertise().getHostAddress();
        net.setPort(mc.port()).setPortAutoIncrement(false).setPortCount(1);
        net.setPublicAddress(ip + ":" + mc.port());
        net.getInterfaces().setEnabled(true).setInterfaces(List.of(ip));
        net.getRestApiConfig().setEnabled(false);
        net.getMemcacheProtocolConfig().setEnabled(false);
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getAwsConfig().setEnabled(false);
        join.getGcpConfig().setEnabled(false);
        join.getAzureConfig().setEnabled(false);
        join.getKubernetesConfig().setEnabled(false);
        join.getEurekaConfig().setEnabled(false);
        // TCP-IP join stays off: its member list is fixed at start. The discovery joiner is the
        // TCP-IP joiner with the member list asked from PeerDiscovery at every join and merge search
        // (it still uses the TCP-IP connection timeout).
        join.getTcpIpConfig().setEnabled(false).setConnectionTimeoutSeconds(2);
        join.getDiscoveryConfig().addDiscoveryStrategyConfig(
                new DiscoveryStrategyConfig(new PeerDiscovery(targets, seen, mc.advertise())));

        c.getJetConfig().setEnabled(false);
        c.getManagementCenterConfig().setConsoleEnabled(false).setScriptingEnabled(false);
        c.getMetricsConfig().setEnabled(false);
        c.getSqlConfig().setStatementTimeoutMillis(1000);

        ReplicatedMapConfig tables = new ReplicatedMapConfig("jweave.table.*")
                .setInMemoryFormat(InMemoryFormat.OBJECT).setAsyncFillup(true).setStatisticsEnabled(false);
        c.addReplicatedMapConfig(tables);
        c.addMapConfig(new MapConfig(Claims.LOCKS).setBackupCount(1).setStatisticsEnabled(false));
        c.addExecutorConfig(new ExecutorConfig(Claims.EXECUTOR).setPoolSize(2).setStatisticsEnabled(false));
        c.addExecutorConfig(new ExecutorConfig("default").setPoolSize(1));
        return c;
    }

    // ------------------------------------------------------------------ API

    public String localName() {
        return config.name();
    }

    /** This member's mesh address {@code ip:port}. */
    public String localAddress() {
        return address(hz.getCluster().getLocalMember());
    }

    public MeshConfig config() {
        return config;
    }

    /** How long {@link #start} took from the call to joined (tables and claims ready). */
    public Duration startupTime() {
        return startup;
    }

    /** The peers this member joins and searches after a split ({@code host:port}): launch peers + connected - forgotten. */
    public List<String> joinTargets() {
        return targets.list();
    }

    /**
     * Adds {@code peer} to the join targets and tries to merge with its mesh now (see
     * {@link MergeNudge}); from then on the merge search every merge interval includes it. Returns
     * whether it was new. Refuses a malformed peer or this member's own address.
     */
    public boolean connect(String peer) {
        String t = JoinTargets.normalize(peer, config.port());
        if (t.equals(JoinTargets.normalize(config.advertise().getHostAddress(), config.port()))) {
            throw new IllegalArgumentException(peer + " is this router's own mesh address");
        }
        boolean added = targets.add(t);
        PeerDiscovery one = new PeerDiscovery(new JoinTargets(config.port(), List.of(t)), config.advertise());
        one.nodes().forEach(n -> forgotten.remove(n.getPrivateAddress().getHost() + ":" + n.getPrivateAddress().getPort()));
        nudgeSoon(t, 0, 0);
        return added;
    }

    /**
     * Removes {@code peer} from the join targets (a current member stays a member), and stops
     * offering its address as a member seen before; false if it was not a target.
     */
    public boolean forget(String peer) {
        String t = JoinTargets.normalize(peer, config.port());
        PeerDiscovery one = new PeerDiscovery(new JoinTargets(config.port(), List.of(t)), config.advertise());
        one.nodes().forEach(n -> forgotten.add(n.getPrivateAddress().getHost() + ":" + n.getPrivateAddress().getPort()));
        return targets.remove(t);
    }

    /**
     * Addresses of members seen since this member started (not this one, not forgotten): offered to
     * Hazelcast's merge search with the join targets, so that a side without join targets (the first
     * router of a mesh, launched without peers) finds the rest again after a partition.
     */
    private java.util.Collection<String> seenAddresses() {
        List<String> out = new ArrayList<>();
        String self = config.advertise().getHostAddress() + ":" + config.port();
        for (String a : lastAddress.values()) {
            if (!a.equals(self) && !forgotten.contains(a)) {
                try {
                    out.add(JoinTargets.normalize(a, config.port()));
                } catch (IllegalArgumentException e) {
                    // not host:port (IPv6 without brackets): the join targets still apply
                }
            }
        }
        return out;
    }

    /** Merges with the mesh of {@code target} unless it is already a member; retried a few times. */
    private void nudge(String target, int attempt) {
        if (closed || !targets.contains(target)) {
            return;
        }
        List<Address> addrs = new ArrayList<>();
        PeerDiscovery one = new PeerDiscovery(new JoinTargets(config.port(), List.of(target)), config.advertise());
        one.nodes().forEach(n -> addrs.add(n.getPrivateAddress()));
        Set<String> members = new TreeSet<>();
        memberList().forEach(m -> members.add(address(m)));
        for (Address a : addrs) {
            if (members.contains(a.getHost() + ":" + a.getPort())) {
                return;                                   // already one mesh
            }
        }
        MergeNudge.Outcome last = null;
        List<Member> ms = memberList();
        Member master = ms.isEmpty() ? null : ms.get(0);      // the oldest member is the master
        for (Address a : addrs) {
            if (master == null || master.localMember()) {
                last = MergeNudge.mergeInto(hz, a);
            } else {
                // only the master may make its whole mesh merge: ask it to
                try {
                    last = MergeNudge.Outcome.valueOf(hz.getExecutorService("default")
                            .submitToMember(new MergeTask(a.getHost(), a.getPort()), master).get(10, TimeUnit.SECONDS));
                } catch (Exception e) {
                    log.debug("mesh: asking the master {} to merge with {} failed: {}", address(master), a, e.toString());
                    last = MergeNudge.Outcome.REFUSED;
                }
            }
            log.info("mesh: {} connecting to {} ({}): {}", config.name(), target, a, last);
            if (last == MergeNudge.Outcome.MERGING) {
                return;
            }
        }
        if (attempt < 5 && last != MergeNudge.Outcome.UNAVAILABLE) {
            nudgeSoon(target, attempt + 1, config.mergeInterval().toSeconds());
        }
    }

    /**
     * Runs {@link #nudge} on a thread of its own after {@code delaySeconds}: a merge check waits
     * for an answer (seconds, for an unreachable peer), which must not hold up housekeeping.
     */
    private void nudgeSoon(String target, int attempt, long delaySeconds) {
        if (closed) {
            return;
        }
        try {
            housekeeping.schedule(() -> daemon(() -> nudge(target, attempt), "jweave-mesh-connect-" + config.name()).start(),
                    delaySeconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** When {@code name}'s state (up or down) last changed as this member saw it (epoch millis; 0 if never seen). */
    public long since(String name) {
        return since.getOrDefault(name, 0L);
    }

    /** Current members (UP, oldest first), then hosts known but absent (DOWN). */
    public List<Peer> members() {
        List<Peer> out = new ArrayList<>();
        Set<String> up = new TreeSet<>();
        for (Member m : memberList()) {
            String n = m.getAttribute(NAME_ATTRIBUTE);
            up.add(n);
            out.add(new Peer(n, address(m), Peer.State.UP, m.localMember()));
        }
        Set<String> down = new TreeSet<>(claims.knownHosts());
        down.addAll(everSeen);
        down.removeAll(up);
        for (String n : down) {
            out.add(new Peer(n, lastAddress.getOrDefault(n, ""), Peer.State.DOWN, false));
        }
        return out;
    }

    public Subscription subscribe(MeshListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** peers: host name → underlay, VTEP, version, capabilities (each host publishes its own row under its name). */
    public OwnedTable<PeerInfo> peers() {
        return peers;
    }

    /** networks: cluster name of a network → VNI, subnet, gateway, options, creator. */
    public OwnedTable<NetworkRecord> networks() {
        return networks;
    }

    /** endpoints: Docker endpoint id → network, IP, MAC, host, VTEP, container name, aliases. */
    public OwnedTable<EndpointRecord> endpoints() {
        return endpoints;
    }

    /**
     * Another owned table (e.g. {@code dns}). Every member that uses it must pass the same codec.
     * The same name always gives the same table.
     */
    @SuppressWarnings("unchecked")
    public synchronized <V> OwnedTable<V> table(String name, Codec<V> codec) {
        return (OwnedTable<V>) tables.computeIfAbsent(name, n -> {
            if (!n.matches("[a-z][a-z0-9-]*")) {
                throw new IllegalArgumentException("invalid table name \"" + n + "\"");
            }
            OwnedTable<V> t = new OwnedTable<>(n, config.name(), hz.getReplicatedMap("jweave.table." + n), codec, events);
            t.refresh();
            return t;
        });
    }

    public Claims claims() {
        return claims;
    }

    /** Address blocks of one pool, claimed through {@link #claims()}. */
    public AddressBlocks addressBlocks(String pool, int blockPrefix) {
        return new AddressBlocks(claims, config.name(), pool, blockPrefix);
    }

    /** Re-publishes this host's rows everywhere now (the mesh also does it by itself after joins and merges). */
    public void republish() {
        tables.values().forEach(t -> t.resync(true));
        claims.sync();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("mesh: {} leaving cluster {}", config.name(), config.clusterName());
        shutdown();
    }

    // ------------------------------------------------------------------ internals

    private void shutdown() {
        closed = true;
        housekeeping.shutdownNow();
        if (claims != null) {
            claims.close();
        }
        tables.values().forEach(OwnedTable::close);
        try {
            hz.shutdown();
        } catch (RuntimeException e) {
            log.debug("mesh: shutdown of {} failed ({})", config.name(), e.toString());
        }
        events.shutdown();
        try {
            if (!events.awaitTermination(2, TimeUnit.SECONDS)) {
                events.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            events.shutdownNow();
        }
    }

    private void refuseNameClash() {
        long deadline = System.nanoTime() + config.failureTimeout().plusSeconds(2).toNanos();
        while (true) {
            List<Member> ms = memberList();
            Member me = hz.getCluster().getLocalMember();
            Member clash = null;
            for (Member m : ms) {
                if (m.localMember()) {
                    break;                     // only older members count; a younger twin refuses itself
                }
                if (config.name().equals(m.getAttribute(NAME_ATTRIBUTE))) {
                    clash = m;
                    break;
                }
            }
            if (clash == null) {
                return;
            }
            boolean restartOfMe = clash.getAddress().equals(me.getAddress());
            if (!restartOfMe || System.nanoTime() > deadline) {
                String msg = "mesh name \"" + config.name() + "\" is already used by the router at " + address(clash)
                        + "; this router (" + address(me) + ") refuses to join. Give every host a unique --name.";
                log.error("mesh: {}", msg);
                shutdown();
                throw new MeshException(MeshException.Kind.NAME_CLASH, msg);
            }
            try {
                Thread.sleep(200);             // our previous incarnation, not yet declared dead
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    List<Member> memberList() {
        try {
            return new ArrayList<>(hz.getCluster().getMembers());
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private List<String> names() {
        return memberList().stream().map(m -> (String) m.getAttribute(NAME_ATTRIBUTE)).toList();
    }

    private void remember(Member m) {
        String n = m.getAttribute(NAME_ATTRIBUTE);
        if (n != null) {
            since.put(n, System.currentTimeMillis());
            everSeen.add(n);
            lastAddress.put(n, address(m));
        }
    }

    private static String address(Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }

    private void tick() {
        if (closed) {
            return;
        }
        try {
            ticks++;
            claims.tick();
            if (ticks % SWEEP_EVERY_TICKS == 0) {
                sweep();
            }
            if (ticks % SYNC_EVERY_TICKS == 0) {
                claims.sync();
            }
        } catch (RuntimeException e) {
            if (!closed && hz.getLifecycleService().isRunning()) {
                log.warn("mesh: housekeeping of {} failed", config.name(), e);
            }
        }
    }

    /** Level-triggered clean-up: rows of owners that are not members (twice in a row) go; own rows are re-published. */
    private void sweep() {
        Set<String> present = new TreeSet<>(names());
        Set<String> owners = new TreeSet<>();
        for (OwnedTable<?> t : tables.values()) {
            owners.addAll(t.owners());
        }
        owners.removeAll(present);
        orphanSweeps.keySet().retainAll(owners);
        for (String o : owners) {
            int n = orphanSweeps.merge(o, 1, Integer::sum);
            if (n >= 2) {
                tables.values().forEach(t -> t.dropOwner(o));
                orphanSweeps.remove(o);
            }
        }
        for (OwnedTable<?> t : tables.values()) {
            t.resync();
            t.refresh();
        }
    }

    private void afterMerge() {
        log.info("mesh: {} merged back into the mesh after a split; re-publishing its rows and claims; members {}",
                config.name(), names());
        housekeeping.execute(() -> {
            tables.values().forEach(t -> {
                t.resync(true);
                t.refresh();
            });
            claims.pull();
            claims.sync();
            claims.tick();
            events.execute(() -> listeners.forEach(l -> safely(l::merged)));
        });
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.warn("mesh: listener failed", e);
        }
    }

    private final class Membership implements MembershipListener {
        @Override
        public void memberAdded(MembershipEvent e) {
            Member m = e.getMember();
            remember(m);
            Peer p = new Peer(m.getAttribute(NAME_ATTRIBUTE), address(m), Peer.State.UP, false);
            events.execute(() -> {
                log.info("mesh: member {} ({}) joined; members {}", p.name(), p.address(), names());
                listeners.forEach(l -> safely(() -> l.memberJoined(p)));
            });
            if (!closed) {
                housekeeping.schedule(() -> {
                    tables.values().forEach(t -> t.resync(true));
                    claims.tick();
                    claims.sync();
                }, 300, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void memberRemoved(MembershipEvent e) {
            Member m = e.getMember();
            String n = m.getAttribute(NAME_ATTRIBUTE);
            Peer p = new Peer(n, address(m), Peer.State.DOWN, false);
            since.put(n, System.currentTimeMillis());
            events.execute(() -> {
                if (!names().contains(n)) {
                    log.info("mesh: member {} ({}) left; removing its rows; members {}", n, p.address(), names());
                    tables.values().forEach(t -> t.dropOwner(n));
                }
                listeners.forEach(l -> safely(() -> l.memberLeft(p)));
            });
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
