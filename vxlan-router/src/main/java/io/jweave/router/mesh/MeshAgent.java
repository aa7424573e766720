package io.jweave.router.mesh;

import io.jweave.discovery.EndpointRecord;
import io.jweave.discovery.Mesh;
import io.jweave.discovery.MeshConfig;
import io.jweave.discovery.MeshListener;
import io.jweave.discovery.NetworkRecord;
import io.jweave.discovery.OwnedTable;
import io.jweave.discovery.Peer;
import io.jweave.discovery.PeerInfo;
import io.jweave.discovery.Subscription;
import io.jweave.discovery.TableListener;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.MacAddress;
import io.jweave.plugin.PluginException;
import io.jweave.router.RouterConfig;
import io.jweave.router.cli.VersionCommand;
import io.jweave.router.datapath.PeerReconciler;
import io.jweave.router.docker.DockerEngine;
import io.jweave.router.docker.DockerNetwork;
import io.jweave.router.docker.DockerWatcher;
import io.jweave.router.driver.VniAllocator;
import io.jweave.router.state.StateStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This router's part in the mesh. One worker thread runs {@link #sync()}, a level-triggered pass
 * that is scheduled on every change (mesh tables, membership, local state, local dockerd's
 * networks) and every few seconds anyway:
 *
 * <ol>
 *   <li>publish this host's networks (by name) and endpoints, and withdraw what went away;</li>
 *   <li>program every remote endpoint of a local network into the datapath ({@link PeerReconciler});</li>
 *   <li>create, through the local dockerd, the mesh networks this host lacks, and remove the ones
 *       a user removed elsewhere (when no local endpoint uses them).</li>
 * </ol>
 *
 * Nothing here runs on a Docker plugin request, except {@link #vniFor} at network creation.
 */
public final class MeshAgent implements VniAllocator, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MeshAgent.class);
    /** Label of networks the router created in its dockerd because they exist in the mesh. */
    public static final String LABEL_JOINED = "io.jweave.joined-from";
    /** Option of a network row that says: a user removed this network; remove it where unused. */
    public static final String DELETED = "jweave.deleted";
    static final String VNI_KEY = "vni/";
    private static final long RESYNC_SECONDS = 5;
    private static final long JOIN_RETRY_MS = 15_000;
    /** A network this router just created in its dockerd is not created again while dockerd's listing catches up. */
    private static final long JOIN_SETTLE_MS = 10_000;
    /**
     * How long a host that came back (after a crash or a partition) has to re-publish its endpoints
     * before the entries kept for it while it was away are dropped.
     */
    private static final long REJOIN_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /**
     * Capability in this host's peers row: how many endpoint rows it publishes. When another host
     * sees that many rows of it, it knows they are complete (e.g. after a restart or a merge) and
     * drops what it kept for that host beyond them, without waiting for {@link #REJOIN_SETTLE_NANOS}.
     */
    static final String CAP_ENDPOINTS = "endpoints=";
    /** How long a router that stops cleanly waits for its withdrawals to reach the other members. */
    private static final long WITHDRAW_WAIT_MS = 1_000;

    private final RouterConfig cfg;
    private final StateStore state;
    private final PeerReconciler reconciler;
    private final DockerEngine docker;
    private final MeshIpam ipam;
    private final PeerStore peerStore;
    private volatile PassObserver passObserver = (nanos, ok) -> { };
    private final ScheduledExecutorService worker;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final Map<String, Long> joinFailures = new ConcurrentHashMap<>();
    private volatile Mesh mesh;
    private volatile DockerWatcher watcher;
    private volatile java.util.function.Consumer<com.github.dockerjava.api.model.Event> dockerEvents = e -> { };
    private volatile Runnable dockerStreamStarted = () -> { };
    private volatile Map<String, DockerNetwork> localNets = Map.of();
    /** Names of networks present in the local dockerd at the previous pass. */
    private final Set<String> seenLocally = new HashSet<>();
    /** Names this router itself removed from its dockerd (not a user's removal). */
    private final Set<String> removedByRouter = ConcurrentHashMap.newKeySet();
    private volatile long lastSyncNanos;
    /** Whether the local dockerd's networks have been listed once (names of local networks are known). */
    private volatile boolean dockerKnown;
    /** Networks this router created in its dockerd, by name, and when. */
    private final Map<String, Long> createdAt = new ConcurrentHashMap<>();
    /**
     * Endpoints of hosts that vanished from the mesh without withdrawing them (a killed router, a
     * partition): their containers are presumably still running, so their entries stay programmed
     * until the host returns and re-publishes, or for the reclaim grace at most. Key: owner/id.
     */
    private final Map<String, Retained> retained = new ConcurrentHashMap<>();
    /**
     * Other hosts' endpoint rows as the table's events have told them (owner/id → row). When a host
     * vanishes, the mesh drops its rows from the table first and tells listeners after: in between,
     * this view still has them, so a pass running then does not unprogram them for a moment.
     */
    private final Map<String, OwnedTable.Row<EndpointRecord>> seen = new ConcurrentHashMap<>();
    /** When each member (re)joined, as seen here. */
    private final Map<String, Long> upSince = new ConcurrentHashMap<>();

    private record Retained(String owner, String id, EndpointRecord record, long sinceNanos) {
    }

    public MeshAgent(RouterConfig cfg, StateStore state, PeerReconciler reconciler, DockerEngine docker) {
        this.cfg = cfg;
        this.state = state;
        this.reconciler = reconciler;
        this.docker = docker;
        this.ipam = new MeshIpam(() -> mesh, cfg.name());
        this.peerStore = new PeerStore(cfg.dataDir(), cfg.meshPort());
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jweave-mesh-sync");
            t.setDaemon(true);
            return t;
        });
    }

    /** The IPAM seams (pool claims and address blocks) backed by the mesh. */
    public MeshIpam ipam() {
        return ipam;
    }

    /** Joins (or starts) the mesh. Returns once this member is part of a cluster. */
    public void start() {
        MeshConfig mc = MeshConfig.of(cfg.name(), cfg.advertiseAddr()).withPort(cfg.meshPort())
                .withPeers(peerStore.targets(cfg.peers())).withClusterName(cfg.clusterName()).withReclaimGrace(cfg.reclaimGrace());
        mesh = Mesh.start(mc, new FileMeshMemory(cfg.dataDir()));
        mesh.peers().publish(cfg.name(), peerInfo(-1));
        TableListener<Object> any = new TableListener<>() {
            @Override
            public void added(OwnedTable.Row<Object> row) {
                schedule();
            }

            @Override
            public void updated(OwnedTable.Row<Object> before, OwnedTable.Row<Object> after) {
                schedule();
            }

            @Override
            public void removed(OwnedTable.Row<Object> row) {
                schedule();
            }
        };
        subscriptions.add(mesh.networks().subscribe(cast(any)));
        subscriptions.add(mesh.peers().subscribe(cast(any)));
        subscriptions.add(mesh.endpoints().subscribe(new TableListener<>() {
            @Override
            public void added(OwnedTable.Row<EndpointRecord> row) {
                endpointRowSeen(row);
                schedule();
            }

            @Override
            public void updated(OwnedTable.Row<EndpointRecord> before, OwnedTable.Row<EndpointRecord> after) {
                endpointRowSeen(after);
                schedule();
            }

            @Override
            public void removed(OwnedTable.Row<EndpointRecord> row) {
                endpointRowRemoved(row);
                schedule();
            }
        }));
        subscriptions.add(mesh.subscribe(new MeshListener() {
            @Override
            public void memberJoined(Peer peer) {
                LOG.info("mesh: {} ({}) joined", peer.name(), peer.address());
                upSince.put(peer.name(), System.nanoTime());
                schedule();
            }

            @Override
            public void memberLeft(Peer peer) {
                LOG.info("mesh: {} ({}) left", peer.name(), peer.address());
                upSince.remove(peer.name());
                schedule();
            }

            @Override
            public void merged() {
                LOG.info("mesh: merged after a partition; records re-published");
                schedule();
            }
        }));
        state.onChange(this::schedule);
        LOG.info("mesh {}: joined as {} in {} ms with {} member(s)", cfg.clusterName(), cfg.name(),
                mesh.startupTime().toMillis(), mesh.members().size());
    }

    /** Who else wants the local dockerd's container/network events and stream (re)starts (DNS names); before {@link #startWatchingDocker}. */
    public void onDockerEvents(java.util.function.Consumer<com.github.dockerjava.api.model.Event> events, Runnable streamStarted) {
        this.dockerEvents = events;
        this.dockerStreamStarted = streamStarted;
    }

    /** Starts following the local dockerd (after the plugin socket is up: dockerd may call us). */
    public void startWatchingDocker() {
        watcher = new DockerWatcher(docker, nets -> {
            localNets = Map.copyOf(nets);
            dockerKnown = true;
            schedule();
        }, e -> dockerEvents.accept(e), () -> dockerStreamStarted.run());
        watcher.start();
        worker.scheduleWithFixedDelay(this::schedule, RESYNC_SECONDS, RESYNC_SECONDS, TimeUnit.SECONDS);
        schedule();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <V> TableListener<V> cast(TableListener<Object> l) {
        return (TableListener) l;
    }

    /** Asks for a pass soon; passes never overlap and bursts of changes collapse into one. */
    public void schedule() {
        if (pending.compareAndSet(false, true)) {
            try {
                worker.execute(this::sync);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                pending.set(false); // shutting down
            }
        }
    }

    private void sync() {
        pending.set(false);
        Mesh m = mesh;
        if (m == null || !dockerKnown) {
            // Until dockerd has told us the names of its networks, this host's networks would look
            // empty: publishing or programming from that would withdraw and unprogram everything.
            return;
        }
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            // One snapshot of dockerd's networks for the whole pass: the watcher may replace it
            // meanwhile, and a pass that published from one listing and joined from a newer one
            // re-created a network the user had just removed.
            Map<String, DockerNetwork> nets = localNets;
            Map<String, String> nameById = new HashMap<>();
            nets.forEach((id, n) -> nameById.put(id, n.name()));
            publishNetworks(m, nameById);
            publishEndpoints(m, nameById);
            programRemoteEndpoints(m, nameById);
            joinAndLeaveNetworks(m, nets);
            lastSyncNanos = System.nanoTime();
            ok = true;
        } catch (RuntimeException e) {
            LOG.warn("mesh sync failed (will retry): {}", e.toString());
            worker.schedule(this::schedule, 1, TimeUnit.SECONDS);
        } finally {
            passObserver.passed(System.nanoTime() - t0, ok);
        }
    }

    /** Told after every reconcile pass: its duration and whether it completed (for metrics). */
    @FunctionalInterface
    public interface PassObserver {
        void passed(long nanos, boolean ok);
    }

    public void onPass(PassObserver o) {
        passObserver = o;
    }

    // ------------------------------------------------------------------ networks

    /** The mesh's networks by name: one live record (any owner), and whether a user removed it. */
    private record MeshNetwork(String name, NetworkRecord record, boolean deleted, Set<String> owners) {
    }

    private static Map<String, MeshNetwork> meshNetworks(Mesh m) {
        Map<String, NetworkRecord> live = new LinkedHashMap<>();
        Set<String> deleted = new HashSet<>();
        Map<String, Set<String>> owners = new HashMap<>();
        for (OwnedTable.Row<NetworkRecord> r : m.networks().all()) {
            if ("true".equals(r.value().options().get(DELETED))) {
                deleted.add(r.key());
            } else {
                live.putIfAbsent(r.key(), r.value());
                owners.computeIfAbsent(r.key(), k -> new HashSet<>()).add(r.owner());
            }
        }
        Map<String, MeshNetwork> out = new LinkedHashMap<>();
        live.forEach((name, rec) -> out.put(name, new MeshNetwork(name, rec, deleted.contains(name), owners.get(name))));
        for (String d : deleted) {
            out.putIfAbsent(d, new MeshNetwork(d, null, true, Set.of()));
        }
        return out;
    }

    private void publishNetworks(Mesh m, Map<String, String> nameById) {
        Map<String, MeshNetwork> meshNets = meshNetworks(m);
        Set<String> localNames = new HashSet<>();
        for (io.jweave.router.state.NetworkRecord n : state.networks()) {
            String name = nameById.get(n.networkId());
            if (name == null) {
                continue; // dockerd has not told us its name yet
            }
            localNames.add(name);
            MeshNetwork mn = meshNets.get(name);
            String creator = mn != null && mn.record() != null ? mn.record().creator() : cfg.name();
            Map<String, String> opts = new HashMap<>(n.options());
            NetworkRecord mine = new NetworkRecord(n.vni(), n.pool(), n.gateway() == null ? "" : n.gateway(), opts, creator);
            NetworkRecord published = m.networks().mine().get(name);
            if (!mine.equals(published)) {
                m.networks().publish(name, mine);
                LOG.info("mesh: published network {} (vni {}, subnet {})", name, n.vni(), n.pool());
            }
        }
        for (Map.Entry<String, NetworkRecord> row : m.networks().mine().entrySet()) {
            String name = row.getKey();
            boolean marker = "true".equals(row.getValue().options().get(DELETED));
            if (localNames.contains(name)) {
                continue;
            }
            if (marker) {
                MeshNetwork mn = meshNets.get(name);
                if (mn == null || mn.owners().isEmpty()) {
                    m.networks().remove(name); // everyone has removed it: the marker has done its job
                }
            } else if (seenLocally.contains(name) && !removedByRouter.remove(name)) {
                // A user removed the network here: ask every host to remove it where it is unused.
                Map<String, String> opts = new HashMap<>(row.getValue().options());
                opts.put(DELETED, "true");
                m.networks().publish(name, new NetworkRecord(row.getValue().vni(), row.getValue().subnet(),
                        row.getValue().gateway(), opts, row.getValue().creator()));
                LOG.info("mesh: network {} was removed here; asking the other hosts to remove it", name);
            } else {
                m.networks().remove(name);
            }
        }
        seenLocally.clear();
        seenLocally.addAll(localNames);
    }

    private void joinAndLeaveNetworks(Mesh m, Map<String, DockerNetwork> nets) {
        Map<String, DockerNetwork> byName = new HashMap<>();
        nets.values().forEach(n -> byName.put(n.name(), n));
        for (MeshNetwork mn : meshNetworks(m).values()) {
            DockerNetwork local = byName.get(mn.name());
            if (mn.deleted()) {
                if (local != null && state.network(local.id()).isPresent() && state.endpointsOf(local.id()).isEmpty()) {
                    LOG.info("mesh: removing network {} here, as a user removed it elsewhere", mn.name());
                    removedByRouter.add(mn.name());
                    docker.removeNetwork(local.id());
                    watcher.poke();
                }
                continue;
            }
            if (local != null || mn.record() == null) {
                if (local != null && mn.record() != null && local.subnet() != null
                        && !local.subnet().equals(mn.record().subnet())) {
                    LOG.warn("mesh: network {} has subnet {} here but {} in the mesh; not joining it",
                            mn.name(), local.subnet(), mn.record().subnet());
                }
                continue;
            }
            if (mn.owners().equals(Set.of(cfg.name()))) {
                continue; // only this host's own row, which is on its way out: never join from ourselves
            }
            Long failedAt = joinFailures.get(mn.name());
            if (failedAt != null && System.currentTimeMillis() - failedAt < JOIN_RETRY_MS) {
                continue;
            }
            Long created = createdAt.get(mn.name());
            if (created != null && System.currentTimeMillis() - created < JOIN_SETTLE_MS) {
                continue; // created a moment ago; dockerd's listing has not caught up yet
            }
            join(mn);
        }
    }

    /** Creates a mesh network in the local dockerd (its plugin calls come back to this router). */
    private void join(MeshNetwork mn) {
        NetworkRecord r = mn.record();
        ipam.joining(r.subnet(), true);
        try {
            Map<String, String> opts = new HashMap<>(r.options());
            opts.remove(DELETED);
            String id = docker.createNetwork(mn.name(), r.subnet(), r.gateway().isEmpty() ? null : r.gateway(), opts,
                    Map.of(LABEL_JOINED, r.creator()));
            joinFailures.remove(mn.name());
            createdAt.put(mn.name(), System.currentTimeMillis());
            LOG.info("mesh: created network {} (subnet {}, vni {}) in the local dockerd as {}", mn.name(), r.subnet(),
                    r.vni(), id.substring(0, 12));
            watcher.poke();
        } catch (RuntimeException e) {
            joinFailures.put(mn.name(), System.currentTimeMillis());
            LOG.warn("mesh: cannot create network {} in the local dockerd: {}", mn.name(), e.getMessage());
        } finally {
            ipam.joining(r.subnet(), false);
        }
    }

    // ------------------------------------------------------------------ endpoints

    private void publishEndpoints(Mesh m, Map<String, String> nameById) {
        String vtep = cfg.advertiseAddr().getHostAddress();
        Map<String, EndpointRecord> want = new HashMap<>();
        for (io.jweave.router.state.EndpointRecord e : state.endpoints()) {
            String name = nameById.get(e.networkId());
            if (name != null) {
                want.put(e.endpointId(), new EndpointRecord(name, stripMask(e.address()), e.mac(), cfg.name(), vtep,
                        "", List.of()));
            }
        }
        Map<String, EndpointRecord> have = m.endpoints().mine();
        want.forEach((id, rec) -> {
            if (!rec.equals(have.get(id))) {
                m.endpoints().publish(id, rec);
            }
        });
        for (String id : have.keySet()) {
            if (!want.containsKey(id)) {
                m.endpoints().remove(id);
            }
        }
        PeerInfo me = peerInfo(want.size());
        if (!me.equals(m.peers().mine().get(cfg.name()))) {
            m.peers().publish(cfg.name(), me); // after the rows: "my N endpoint rows are all there"
        }
    }

    /** This host's peers row; {@code endpoints < 0}: not published yet (the count is left out). */
    private PeerInfo peerInfo(int endpoints) {
        String adv = cfg.advertiseAddr().getHostAddress();
        List<String> caps = endpoints < 0 ? List.of("vxlan") : List.of("vxlan", CAP_ENDPOINTS + endpoints);
        return new PeerInfo(adv, adv, VersionCommand.version(), caps);
    }

    /** Whether every endpoint row {@code owner} publishes is in this member's view now. */
    private static boolean complete(Mesh m, String owner) {
        PeerInfo p = m.peers().get(owner, owner).orElse(null);
        if (p == null) {
            return false;
        }
        for (String c : p.capabilities()) {
            if (c.startsWith(CAP_ENDPOINTS)) {
                try {
                    return Integer.parseInt(c.substring(CAP_ENDPOINTS.length())) == m.endpoints().byOwner(owner).size();
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }

    private void programRemoteEndpoints(Mesh m, Map<String, String> nameById) {
        Map<String, Integer> vniByName = new HashMap<>();
        for (io.jweave.router.state.NetworkRecord n : state.networks()) {
            String name = nameById.get(n.networkId());
            if (name != null) {
                vniByName.put(name, n.vni());
            }
        }
        Set<String> members = memberNames(m);
        List<PeerReconciler.RemoteEndpoint> remote = new ArrayList<>();
        Set<String> liveKeys = new HashSet<>();
        Set<String> liveAddresses = new HashSet<>();
        for (OwnedTable.Row<EndpointRecord> r : m.endpoints().all()) {
            EndpointRecord e = r.value();
            liveKeys.add(r.owner() + "/" + r.key());
            liveAddresses.add(e.network() + " " + e.ip());
            liveAddresses.add(e.network() + " " + e.mac());
            Integer vni = vniByName.get(e.network());
            if (vni == null || r.owner().equals(cfg.name())) {
                continue;
            }
            add(remote, vni, r.key(), r.owner(), e);
        }
        // Endpoints of hosts that are not members now: rows the mesh is dropping (events pending)
        // and rows kept from hosts that vanished. A live endpoint with the same address wins.
        List<Retained> kept = new ArrayList<>(keptEndpoints(m, members));
        for (OwnedTable.Row<EndpointRecord> r : seen.values()) {
            if (!members.contains(r.owner()) && !r.owner().equals(cfg.name())) {
                kept.add(new Retained(r.owner(), r.key(), r.value(), System.nanoTime()));
            }
        }
        Set<String> done = new HashSet<>();
        for (Retained k : kept) {
            EndpointRecord e = k.record();
            Integer vni = vniByName.get(e.network());
            String key = k.owner() + "/" + k.id();
            if (vni == null || liveKeys.contains(key) || !done.add(key)
                    || liveAddresses.contains(e.network() + " " + e.ip())
                    || liveAddresses.contains(e.network() + " " + e.mac())) {
                continue;
            }
            add(remote, vni, k.id(), k.owner(), e);
        }
        // Only networks whose name (and so whose desired state) is known are reconciled.
        reconciler.reconcile(remote, Set.copyOf(vniByName.values()));
    }

    private static void add(List<PeerReconciler.RemoteEndpoint> remote, int vni, String id, String owner, EndpointRecord e) {
        try {
            remote.add(new PeerReconciler.RemoteEndpoint(vni, IpPrefix.parseAddress(e.ip()), MacAddress.parse(e.mac()),
                    IpPrefix.parseAddress(e.vtep())));
        } catch (IllegalArgumentException ex) {
            LOG.warn("mesh: ignoring malformed endpoint {} from {}: {}", id, owner, ex.getMessage());
        }
    }

    /**
     * An endpoint row went away. If its owner withdrew it (the owner is still a member, or it
     * stopped cleanly and withdrew everything before leaving), the endpoint is gone. If the row went
     * because its owner vanished (killed, cut off), the mesh dropped it, but the container is most
     * likely still running: keep its entries so that established traffic keeps flowing.
     */
    private void endpointRowRemoved(OwnedTable.Row<EndpointRecord> row) {
        String key = row.owner() + "/" + row.key();
        seen.remove(key);
        Mesh m = mesh;
        if (m == null || row.owner().equals(cfg.name()) || isMember(m, row.owner())) {
            retained.remove(key);
            return;
        }
        boolean first = retained.values().stream().noneMatch(r -> r.owner().equals(row.owner()));
        retained.put(key, new Retained(row.owner(), row.key(), row.value(), System.nanoTime()));
        if (first) {
            LOG.info("mesh: {} vanished without withdrawing its endpoints (killed or cut off); keeping them programmed"
                    + " until it re-publishes or for {} s at most", row.owner(), m.config().reclaimGrace().toSeconds());
        }
    }

    private void endpointRowSeen(OwnedTable.Row<EndpointRecord> row) {
        String key = row.owner() + "/" + row.key();
        retained.remove(key);
        if (!row.owner().equals(cfg.name())) {
            seen.put(key, row);
        }
    }

    private static Set<String> memberNames(Mesh m) {
        Set<String> out = new HashSet<>();
        for (Peer p : m.members()) {
            if (p.state() == Peer.State.UP) {
                out.add(p.name());
            }
        }
        return out;
    }

    private static boolean isMember(Mesh m, String name) {
        return m.members().stream().anyMatch(p -> p.state() == Peer.State.UP && p.name().equals(name));
    }

    /** The retained endpoints still worth programming; drops those whose time is over. */
    private List<Retained> keptEndpoints(Mesh m, Set<String> members) {
        long now = System.nanoTime();
        long grace = m.config().reclaimGrace().toNanos();
        List<Retained> out = new ArrayList<>();
        for (Retained r : retained.values()) {
            String why = null;
            if (now - r.sinceNanos() > grace) {
                why = "its owner has been away for the whole reclaim grace";
            } else if (members.contains(r.owner()) && complete(m, r.owner())) {
                why = "its owner is back and has re-published its endpoints without it";
            } else if (members.contains(r.owner())
                    && now - upSince.computeIfAbsent(r.owner(), k -> now) > REJOIN_SETTLE_NANOS) {
                // (a member whose join event is still queued counts as back from now on)
                why = "its owner is back and did not re-publish it";
            }
            if (why != null) {
                retained.remove(r.owner() + "/" + r.id(), r);
                LOG.info("mesh: dropping endpoint {} ({} on {}) of {}: {}", shortId(r.id()), r.record().ip(),
                        r.record().network(), r.owner(), why);
            } else {
                out.add(r);
            }
        }
        return out;
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    // ------------------------------------------------------------------ VNIs

    @Override
    public int vniFor(String subnet, Set<Integer> inUse) {
        Mesh m = mesh;
        Set<Integer> taken = new HashSet<>(inUse);
        for (OwnedTable.Row<NetworkRecord> r : m.networks().all()) {
            if (r.value().subnet().equals(subnet) && !"true".equals(r.value().options().get(DELETED))) {
                return r.value().vni(); // the same network on another host: the same VNI
            }
            taken.add(r.value().vni());
        }
        int span = LAST_VNI - FIRST_VNI + 1;
        int start = Math.floorMod(subnet.hashCode(), span);
        for (int i = 0; i < 1000; i++) {
            int v = FIRST_VNI + Math.floorMod(start + i, span);
            if (taken.contains(v)) {
                continue;
            }
            var res = m.claims().claim(VNI_KEY + v);
            if (res.granted()) {
                return v;
            }
            if (res.status() == io.jweave.discovery.ClaimResult.Status.NO_QUORUM) {
                throw new PluginException("cannot create a network now: " + res.detail());
            }
        }
        throw new PluginException("no free VXLAN network identifier could be claimed in the mesh");
    }

    @Override
    public void released(String subnet, int vni) {
        Mesh m = mesh;
        boolean usedElsewhere = m.networks().all().stream()
                .anyMatch(r -> !r.owner().equals(cfg.name()) && r.value().vni() == vni);
        if (!usedElsewhere) {
            m.claims().release(VNI_KEY + vni);
        }
    }

    // ------------------------------------------------------------------ status

    /** The mesh member (null before {@link #start}). */
    public Mesh mesh() {
        return mesh;
    }

    /** The peers added and forgotten at runtime (persisted). */
    public PeerStore peerStore() {
        return peerStore;
    }

    /** Hosts that vanished without withdrawing their endpoints (killed or cut off), whose entries are kept. */
    public Set<String> vanishedHosts() {
        Set<String> out = new HashSet<>();
        retained.values().forEach(r -> out.add(r.owner()));
        return out;
    }

    public List<Peer> members() {
        Mesh m = mesh;
        return m == null ? List.of() : m.members();
    }

    /** Docker network ID → name, as the local dockerd lists them. */
    public Map<String, String> localNames() {
        Map<String, String> out = new HashMap<>();
        localNets.forEach((id, n) -> out.put(id, n.name()));
        return out;
    }

    /** Endpoints of network {@code name} on other hosts. */
    public int remoteEndpoints(String name) {
        Mesh m = mesh;
        if (m == null || name == null) {
            return 0;
        }
        return (int) m.endpoints().all().stream()
                .filter(r -> !r.owner().equals(cfg.name()) && r.value().network().equals(name)).count();
    }

    /**
     * A router that stops cleanly says so: it withdraws its endpoints before leaving, and the other
     * hosts drop them at once (a router that merely vanishes is presumed to have running containers;
     * see {@link #endpointRowRemoved}). The kernel's datapath on this host stays in place.
     */
    private void withdrawEndpoints() {
        Mesh m = mesh;
        if (m == null) {
            return;
        }
        try {
            Set<String> mine = m.endpoints().mine().keySet();
            if (mine.isEmpty()) {
                return;
            }
            for (String id : mine) {
                m.endpoints().remove(id);
            }
            LOG.info("mesh: withdrew {} endpoint(s) of {} before leaving", mine.size(), cfg.name());
            if (m.members().stream().anyMatch(p -> p.state() == Peer.State.UP && !p.local())) {
                Thread.sleep(WITHDRAW_WAIT_MS); // let the removals reach the others before the member goes
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("mesh: could not withdraw this host's endpoints before leaving: {}", e.toString());
        }
    }

    private static String stripMask(String cidr) {
        int slash = cidr.indexOf('/');
        return slash < 0 ? cidr : cidr.substring(0, slash);
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS); // a pass in flight must not re-publish after the withdrawal
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (watcher != null) {
            watcher.close();
        }
        withdrawEndpoints();
        for (Subscription s : subscriptions) {
            try {
                s.close();
            } catch (Exception e) {
                LOG.debug("closing a mesh subscription: {}", e.toString());
            }
        }
        if (mesh != null) {
            mesh.close();
        }
    }
}
