package io.jweave.router.status;

import com.fasterxml.jackson.databind.JsonNode;
import io.jweave.discovery.JoinTargets;
import io.jweave.discovery.Mesh;
import io.jweave.discovery.OwnedTable;
import io.jweave.discovery.Peer;
import io.jweave.ipam.IpamSnapshot;
import io.jweave.router.RouterConfig;
import io.jweave.router.docker.DockerEngine;
import io.jweave.router.mesh.MeshAgent;
import io.jweave.router.metrics.RouterMetrics;
import io.jweave.router.state.EndpointRecord;
import io.jweave.router.state.NetworkRecord;
import io.jweave.router.state.StateStore;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of the status API and the views behind them. Read-only: {@code /status} (summary),
 * {@code /peers}, {@code /networks}, {@code /endpoints} (local with their containers, and remote),
 * {@code /ipam}, {@code /report} (everything), {@code /metrics} (Prometheus text). Changing:
 * {@code POST /connect {"peer": ...}} and {@code POST /forget {"peer": ...}}.
 */
public final class RouterApi implements RouterMetrics.Source {
    private static final Logger LOG = LoggerFactory.getLogger(RouterApi.class);
    /** Prometheus text exposition format. */
    public static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final RouterConfig cfg;
    private final StateStore state;
    private final MeshAgent agent;
    private final Supplier<IpamSnapshot> ipam;
    private final DockerEngine docker;
    private final Supplier<StatusReport> report;
    private final PeerSecurity security;
    private volatile RouterMetrics metrics;
    private volatile Function<String, StatusReport.Datapath> datapaths = ip -> null;

    public RouterApi(RouterConfig cfg, StateStore state, MeshAgent agent, Supplier<IpamSnapshot> ipam, DockerEngine docker,
                     Supplier<StatusReport> report, PeerSecurity security) {
        this.security = security;
        this.cfg = cfg;
        this.state = state;
        this.agent = agent;
        this.ipam = ipam;
        this.docker = docker;
        this.report = report;
    }

    /** Where connected peers' datapaths come from (by underlay address). */
    public void datapaths(Function<String, StatusReport.Datapath> paths) {
        this.datapaths = paths;
    }

    /** The metrics served on {@code /metrics}. */
    public void metrics(RouterMetrics m) {
        this.metrics = m;
    }

    /** Every route, for {@link StatusServer}. */
    public Map<String, StatusServer.Endpoint> routes() {
        Map<String, StatusServer.Endpoint> r = new LinkedHashMap<>();
        r.put("/status", StatusServer.Endpoint.json(report));
        r.put("/peers", StatusServer.Endpoint.json(this::peersView));
        r.put("/networks", StatusServer.Endpoint.json(() -> report.get().networks()));
        r.put("/endpoints", StatusServer.Endpoint.json(this::endpoints));
        r.put("/ipam", StatusServer.Endpoint.json(() -> StatusReport.Ipam.of(ipam.get())));
        r.put("/report", StatusServer.Endpoint.json(this::fullReport));
        r.put("/metrics", StatusServer.Endpoint.text(() -> {
            RouterMetrics m = metrics;
            if (m == null) {
                throw new ApiException(503, "metrics are not ready yet");
            }
            return m.scrape();
        }, METRICS_TYPE));
        r.put("/connect", StatusServer.Endpoint.post(this::connect));
        r.put("/forget", StatusServer.Endpoint.post(this::forget));
        return r;
    }

    // ------------------------------------------------------------------ peers

    /** {@code GET /peers}. */
    public record PeersView(List<String> joinTargets, List<StatusReport.Peer> peers) {
    }

    PeersView peersView() {
        Mesh m = agent.mesh();
        return new PeersView(m == null ? List.of() : m.joinTargets(), peers(agent, security, datapaths));
    }

    /** The mesh's routers as this one sees them, the join targets not (yet) in the mesh, and refused routers. */
    public static List<StatusReport.Peer> peers(MeshAgent agent, PeerSecurity security) {
        return peers(agent, security, ip -> null);
    }

    /** The peers, each connected one with its datapath ({@code paths}: by underlay address; null = unknown). */
    public static List<StatusReport.Peer> peers(MeshAgent agent, PeerSecurity security,
                                                Function<String, StatusReport.Datapath> paths) {
        Mesh m = agent.mesh();
        if (m == null) {
            return List.of();
        }
        List<StatusReport.Peer> out = new ArrayList<>();
        for (StatusReport.Peer p : peerStates(m.members(), agent.vanishedHosts(), m.joinTargets(), RouterApi::resolve,
                m::since, security)) {
            out.add(p.self() || !"connected".equals(p.state()) ? p : p.with(paths.apply(hostOf(p.address()))));
        }
        return out;
    }

    static List<StatusReport.Peer> peerStates(List<Peer> members, Set<String> vanished, List<String> targets,
                                              Function<String, String> resolve, ToLongFunction<String> since) {
        return peerStates(members, vanished, targets, resolve, since, PeerSecurity.NONE);
    }

    /**
     * Peer states: {@code connected} (a member now, this router included), {@code unreachable} (gone
     * without withdrawing its endpoints: killed or cut off; its entries are kept), {@code departed}
     * (gone after withdrawing them: a clean stop, or it had none), {@code connecting} (a join target
     * whose address is no member's: not reachable, or not merged yet), {@code refused} (a router at
     * that address was refused, or refused this one: wrong password or none; {@code reason} says).
     */
    static List<StatusReport.Peer> peerStates(List<Peer> members, Set<String> vanished, List<String> targets,
                                              Function<String, String> resolve, ToLongFunction<String> since,
                                              PeerSecurity security) {
        Set<String> targetAddrs = new HashSet<>();
        Map<String, String> resolvedTarget = new HashMap<>();
        for (String t : targets) {
            String a = resolve.apply(t);
            resolvedTarget.put(t, a);
            targetAddrs.add(a);
        }
        Map<String, PeerSecurity.Refusal> refused = new HashMap<>(security.refusals());
        List<StatusReport.Peer> out = new ArrayList<>();
        Set<String> seenAddrs = new HashSet<>();
        for (Peer p : members) {
            boolean up = p.state() == Peer.State.UP;
            String st = up ? "connected" : vanished.contains(p.name()) ? "unreachable" : "departed";
            String ip = hostOf(p.address());
            if (up) {
                seenAddrs.add(p.address());
                refused.remove(ip);
            }
            boolean encrypted = security.passwordSet() && (p.local() || (up && security.encryptedWith(ip)));
            long s = since.applyAsLong(p.name());
            out.add(new StatusReport.Peer(p.name(), p.address(), st, p.local(), s > 0 ? Instant.ofEpochMilli(s).toString() : null,
                    targetAddrs.contains(p.address()), encrypted, null));
        }
        for (String t : targets) {
            String addr = resolvedTarget.get(t);
            if (!seenAddrs.contains(addr)) {
                PeerSecurity.Refusal r = refused.remove(hostOf(addr));
                out.add(r == null ? new StatusReport.Peer(null, t, "connecting", false, null, true)
                        : new StatusReport.Peer(null, t, "refused", false, r.since().toString(), true, false, r.reason()));
            }
        }
        refused.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.add(new StatusReport.Peer(null,
                e.getKey(), "refused", false, e.getValue().since().toString(), false, false, e.getValue().reason())));
        return out;
    }

    /** {@code ip:port} or {@code [v6]:port} → the address part. */
    static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        String h = colon < 0 ? address : address.substring(0, colon);
        return h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
    }

    /** {@code host:port} → {@code ip:port} (the target itself if the host does not resolve). */
    static String resolve(String target) {
        int colon = target.lastIndexOf(':');
        String host = target.substring(0, colon);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return InetAddress.getByName(host).getHostAddress() + target.substring(colon);
        } catch (Exception e) {
            return target;
        }
    }

    /** {@code POST /connect {"peer": "host[:port]"}}: joins its mesh now and remembers it across restarts. */
    public record PeerChange(String peer, boolean changed, List<String> joinTargets) {
    }

    PeerChange connect(JsonNode body) {
        String peer = peerOf(body, "connect");
        Mesh m = requireMesh();
        String p;
        try {
            p = JoinTargets.normalize(peer, cfg.meshPort());
            if (resolve(p).equals(p) && !p.matches("[0-9.]+:\\d+|\\[[0-9a-fA-F:.]+]:\\d+")) {
                throw new IllegalArgumentException("peer " + peer + " does not resolve to an address");
            }
            if (resolve(p).equals(cfg.advertiseAddr().getHostAddress() + ":" + cfg.meshPort())) {
                throw new IllegalArgumentException(peer + " is this router itself");
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        boolean added = m.connect(p);
        agent.peerStore().connected(p);
        LOG.info("peer {} {}: join targets {}", p, added ? "added" : "was already a join target", m.joinTargets());
        return new PeerChange(p, added, m.joinTargets());
    }

    /** {@code POST /forget {"peer": "host[:port]"}}: no longer joins it, also after a restart (a member stays a member). */
    PeerChange forget(JsonNode body) {
        String peer = peerOf(body, "forget");
        Mesh m = requireMesh();
        String p;
        try {
            p = JoinTargets.normalize(peer, cfg.meshPort());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (!m.joinTargets().contains(p)) {
            throw ApiException.notFound(peer + " is not a peer of this router (join targets: "
                    + (m.joinTargets().isEmpty() ? "none" : String.join(", ", m.joinTargets())) + ")");
        }
        m.forget(p);
        agent.peerStore().forgotten(p);
        LOG.info("peer {} forgotten: join targets {}", p, m.joinTargets());
        return new PeerChange(p, true, m.joinTargets());
    }

    private static String peerOf(JsonNode body, String what) {
        JsonNode n = body.get("peer");
        if (n == null || !n.isTextual() || n.asText().isBlank()) {
            throw ApiException.badRequest("POST /" + what + " needs {\"peer\": \"HOST[:PORT]\"}");
        }
        return n.asText().trim();
    }

    private Mesh requireMesh() {
        Mesh m = agent.mesh();
        if (m == null) {
            throw new ApiException(503, "the router has not joined its mesh yet");
        }
        return m;
    }

    // ------------------------------------------------------------------ endpoints

    /** A local endpoint with the container it belongs to (from the local dockerd; null if it does not say). */
    public record LocalEndpoint(String endpointId, String network, String address, String mac, String iface,
                                boolean joined, String containerId, String containerName) {
    }

    /** An endpoint of one of this host's networks on another host. */
    public record RemoteEndpoint(String endpointId, String network, String address, String mac, String host,
                                 String vtep) {
    }

    /** {@code GET /endpoints}; {@code dockerError} says why container names are missing, if they are. */
    public record Endpoints(List<LocalEndpoint> local, List<RemoteEndpoint> remote, String dockerError) {
    }

    Endpoints endpoints() {
        Map<String, String> names = agent.localNames();
        Map<String, String[]> containers = new HashMap<>();
        String dockerError = null;
        try {
            for (NetworkRecord n : state.networks()) {
                var net = docker.network(n.networkId()).orElse(null);
                if (net != null && net.getContainers() != null) {
                    net.getContainers().forEach((cid, c) -> containers.put(c.getEndpointId(),
                            new String[] {cid, c.getName()}));
                }
            }
        } catch (RuntimeException e) {
            dockerError = "the local dockerd did not list the containers: " + e.getMessage();
        }
        List<LocalEndpoint> local = new ArrayList<>();
        for (EndpointRecord e : state.endpoints()) {
            String[] c = containers.get(e.endpointId());
            local.add(new LocalEndpoint(e.endpointId(), names.getOrDefault(e.networkId(), e.networkId()), e.address(),
                    e.mac(), e.ifName(), e.sandboxKey() != null, c == null ? null : c[0], c == null ? null : c[1]));
        }
        Set<String> localNetworks = new HashSet<>(names.values());
        List<RemoteEndpoint> remote = new ArrayList<>();
        Mesh m = agent.mesh();
        if (m != null) {
            for (OwnedTable.Row<io.jweave.discovery.EndpointRecord> r : m.endpoints().all()) {
                if (!r.owner().equals(cfg.name()) && localNetworks.contains(r.value().network())) {
                    remote.add(new RemoteEndpoint(r.key(), r.value().network(), r.value().ip(), r.value().mac(),
                            r.owner(), r.value().vtep()));
                }
            }
        }
        return new Endpoints(local, remote, dockerError);
    }

    // ------------------------------------------------------------------ report

    /** {@code GET /report}: everything, for a bug report or a support question. */
    public record Report(StatusReport status, PeersView peers, Endpoints endpoints, Map<String, Object> mesh,
                         Map<String, Object> config) {
    }

    Report fullReport() {
        Map<String, Object> mesh = new TreeMap<>();
        Mesh m = agent.mesh();
        if (m != null) {
            mesh.put("clusterName", m.config().clusterName());
            mesh.put("address", m.localAddress());
            mesh.put("startupMillis", m.startupTime().toMillis());
            mesh.put("knownHosts", m.claims().knownHosts());
            mesh.put("hasQuorum", m.claims().hasQuorum());
            mesh.put("fenced", m.claims().fenced());
            mesh.put("vanishedHosts", agent.vanishedHosts());
            mesh.put("peersFile", agent.peerStore().file().toString());
        }
        Map<String, Object> c = new TreeMap<>();
        c.put("name", cfg.name());
        c.put("advertiseAddr", cfg.advertiseAddr().getHostAddress());
        c.put("dockerHost", cfg.dockerHost());
        c.put("pluginSocket", cfg.pluginSocket().toString());
        c.put("dataDir", cfg.dataDir().toString());
        c.put("ipallocRange", cfg.ipallocRange());
        c.put("subnetSize", cfg.subnetSize());
        c.put("vxlanPort", cfg.vxlanPort());
        c.put("meshPort", cfg.meshPort());
        c.put("launchPeers", cfg.peers());
        c.put("reclaimGraceSeconds", cfg.reclaimGrace().toSeconds());
        c.put("httpAddr", cfg.httpAddr() == null ? null : cfg.httpAddr().getHostString() + ":" + cfg.httpAddr().getPort());
        return new Report(report.get(), peersView(), endpoints(), mesh, c);
    }

    // ------------------------------------------------------------------ metrics source

    @Override
    public Map<String, Integer> peersByState() {
        Map<String, Integer> out = new HashMap<>();
        for (StatusReport.Peer p : peers(agent, security)) {
            out.merge(p.state(), 1, Integer::sum);
        }
        return out;
    }

    @Override
    public int networks() {
        return state.networks().size();
    }

    @Override
    public int localEndpoints() {
        return state.endpoints().size();
    }

    @Override
    public int remoteEndpoints() {
        Map<String, String> names = agent.localNames();
        int n = 0;
        for (NetworkRecord r : state.networks()) {
            n += agent.remoteEndpoints(names.get(r.networkId()));
        }
        return n;
    }

    @Override
    public List<RouterMetrics.PoolUsage> pools() {
        List<RouterMetrics.PoolUsage> out = new ArrayList<>();
        for (IpamSnapshot.PoolStatus p : ipam.get().pools()) {
            out.add(new RouterMetrics.PoolUsage(p.pool().toString(), p.used(), p.free()));
        }
        return out;
    }

    @Override
    public int joinTargets() {
        Mesh m = agent.mesh();
        return m == null ? 0 : m.joinTargets().size();
    }
}
