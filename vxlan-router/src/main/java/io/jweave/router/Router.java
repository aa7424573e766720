package io.jweave.router;

import io.jweave.ipam.Cidr;
import io.jweave.ipam.Ipam;
import io.jweave.ipam.Ipv4Address;
import io.jweave.ipam.IpamStore;
import io.jweave.netlink.Address;
import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.Route;
import io.jweave.netlink.sys.Sys;
import io.jweave.plugin.PluginServer;
import io.jweave.plugin.PluginServerConfig;
import io.jweave.router.datapath.Datapath;
import io.jweave.router.datapath.PeerReconciler;
import io.jweave.router.dns.DnsStats;
import io.jweave.router.docker.DockerEngine;
import io.jweave.router.mesh.MeshAgent;
import io.jweave.router.driver.IpamDriverImpl;
import io.jweave.router.driver.NetworkDriverImpl;
import io.jweave.router.state.EndpointRecord;
import io.jweave.router.state.NetworkRecord;
import io.jweave.router.state.StateStore;
import io.jweave.router.metrics.RouterMetrics;
import io.jweave.router.paths.PeerPaths;
import io.jweave.router.secure.MeshEncryption;
import io.jweave.router.status.RouterApi;
import io.jweave.router.status.StatusReport;
import io.jweave.router.status.StatusServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One host's router: state, IPAM, datapath and the Docker plugin endpoint, wired together.
 * {@link #start()} restores state from disk, reconciles the kernel against it, and only then opens
 * the plugin socket; {@link #close()} removes the socket and leaves the datapath in place, so
 * containers keep talking while the router is down.
 */
public final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    private final RouterConfig config;
    private Handle host;
    private StateStore state;
    private Datapath datapath;
    private PluginServer server;
    private DockerEngine docker;
    private MeshAgent mesh;
    private Ipam ipam;
    private StatusServer status;
    private io.jweave.router.status.TopologyFacts topologyFacts;
    private io.jweave.router.status.TopologyService topology;
    private RouterDns dns;
    private MeshEncryption encryption;
    private PeerPaths paths;
    private java.util.concurrent.ScheduledExecutorService probes;
    private final long startedAt = System.currentTimeMillis();
    private volatile boolean closed;

    public Router(RouterConfig config) {
        this.config = config;
    }

    public RouterConfig config() {
        return config;
    }

    public synchronized void start() {
        if (config.httpAddr() != null) {
            StatusServer.requireLoopback(config.httpAddr()); // before anything is set up
        }
        host = Handle.open();
        int underlay = underlayIndex(host, config.advertiseAddr());
        state = new StateStore(config.dataDir());
        // Before the mesh opens a socket: with a password, its packets and VXLAN's must already go
        // through the tunnel, and plaintext from the underlay must already be dropped.
        int underlayMtu = host.links().byIndex(underlay).map(io.jweave.netlink.Link::mtu).orElse(1500);
        encryption = MeshEncryption.start(config, host, underlayMtu);
        datapath = new Datapath(host, config.netnsDir(), config.advertiseAddr(), underlay, config.vxlanPort(),
                encryption.overhead());
        docker = new DockerEngine(config.dockerHost());
        mesh = new MeshAgent(config, state, new PeerReconciler(datapath), docker);
        mesh.start();
        paths = PeerPaths.start(host, config.dataDir().resolve("heartbeat-netns"), config.advertiseAddr(), config.vxlanPort(),
                datapath.defaultMtu(), encryption, this::connectedPeers);
        dns = RouterDns.create(config, mesh.mesh(), docker, datapath, state, this::dnsNetworks);
        mesh.onDockerEvents(dns::dockerEvent, dns::dockerStreamStarted);
        ipam = new Ipam(Cidr.parse(config.ipallocRange()), config.subnetSize(), this::hostRoutes,
                IpamStore.inDirectory(config.dataDir()), mesh.ipam(), mesh.ipam());
        reconcile();
        Set<String> restoredEndpoints = new HashSet<>();
        state.endpoints().forEach(e -> restoredEndpoints.add(e.endpointId()));
        RouterApi api = new RouterApi(config, state, mesh, ipam::snapshot, docker, this::report, encryption);
        RouterMetrics metrics = new RouterMetrics(api, io.jweave.router.cli.VersionCommand.version());
        api.metrics(metrics);
        api.datapaths(paths::datapath);
        encryption.bindMetrics(metrics);
        paths.bindMetrics(metrics);
        mesh.onPass(metrics::reconcilePass);
        DnsStats dnsStats = dns.stats();
        metrics.bindDns(Map.of("queries", dnsStats::queries, "answered", dnsStats::answered,
                "nxdomain", dnsStats::nxdomain, "nodata", dnsStats::nodata, "forwarded", dnsStats::forwarded,
                "forward_errors", dnsStats::forwardErrors, "malformed", dnsStats::malformed,
                "truncated", dnsStats::truncated, "servfail", dnsStats::servfail));
        server = new PluginServer(new NetworkDriverImpl(state, datapath, mesh, dns.route()), new IpamDriverImpl(ipam),
                PluginServerConfig.defaults().withSocketPath(config.pluginSocket()).withListener(metrics));
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the plugin at " + config.pluginSocket() + ": " + e.getMessage(), e);
        }
        mesh.startWatchingDocker();
        dns.start();
        if (!restoredEndpoints.isEmpty()) {
            Thread gc = new Thread(() -> collectStaleEndpoints(restoredEndpoints), "jweave-stale-endpoints");
            gc.setDaemon(true);
            gc.start();
        }
        Map<String, StatusServer.Endpoint> routes = new java.util.HashMap<>(api.routes());
        routes.putAll(dns.routes());
        routes.putAll(new RouterCapture(config, state, mesh, datapath).routes());
        topologyFacts = new io.jweave.router.status.TopologyFacts(config, state, mesh, ipam::snapshot, docker, encryption,
                paths::datapath, dns.topologyNames());
        topology = new io.jweave.router.status.TopologyService(topologyFacts).start();
        routes.putAll(topology.routes());
        routes.putAll(new io.jweave.router.status.UiFiles().routes());
        status = new StatusServer(StatusServer.socketIn(config.dataDir()), config.httpAddr(), routes);
        try {
            status.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the status API: " + e.getMessage(), e);
        }
        startProbes();
        LOG.info("router {} ready: {} networks, {} endpoints restored{}", config.name(), state.networks().size(),
                state.endpoints().size(), encryption.passwordSet() ? ", mesh encrypted" : "");
    }

    /**
     * Without a password, join targets that are no members are asked every few seconds whether they want
     * one (so that a router refused for having none says why). With a password, the mesh's own connection
     * attempts start the handshakes that tell.
     */
    private void startProbes() {
        if (encryption.passwordSet()) {
            return;
        }
        probes = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jweave-tunnel-probe");
            t.setDaemon(true);
            return t;
        });
        probes.scheduleWithFixedDelay(() -> {
            try {
                List<InetAddress> out = new ArrayList<>();
                for (StatusReport.Peer p : RouterApi.peers(mesh, encryption)) {
                    if (p.name() == null && p.joinTarget()) {
                        String host = p.address().substring(0, p.address().lastIndexOf(':'));
                        out.add(InetAddress.getByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host));
                    }
                }
                encryption.probe(out);
            } catch (Exception e) {
                LOG.debug("probing join targets: {}", e.toString());
            }
        }, 1, 5, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Connected peers (not this router) by advertise address, with their names: whose paths are checked. */
    private Map<InetAddress, String> connectedPeers() {
        Map<InetAddress, String> out = new java.util.HashMap<>();
        io.jweave.discovery.Mesh m = mesh.mesh();
        if (m == null) {
            return out;
        }
        for (io.jweave.discovery.Peer p : m.members()) {
            if (p.local() || p.state() != io.jweave.discovery.Peer.State.UP) {
                continue;
            }
            String h = p.address().substring(0, p.address().lastIndexOf(':'));
            try {
                // a member's address is an IP literal (its advertise address): no name lookup happens here
                out.put(InetAddress.getByName(h.startsWith("[") ? h.substring(1, h.length() - 1) : h), p.name());
            } catch (java.net.UnknownHostException e) {
                LOG.debug("peer address {}: {}", p.address(), e.toString());
            }
        }
        return out;
    }

    /** The mesh's protection on this host (tests force rekeys through it). */
    public MeshEncryption encryption() {
        return encryption;
    }

    /** Makes the kernel match the persisted state: recreate what is missing, remove strays. */
    private void reconcile() {
        Set<Integer> vnis = new HashSet<>();
        Set<String> endpoints = new HashSet<>();
        for (NetworkRecord n : state.networks()) {
            datapath.ensureNetwork(n.vni(), n.mtu());
            vnis.add(n.vni());
        }
        for (EndpointRecord e : state.endpoints()) {
            endpoints.add(e.endpointId());
            int vni = state.network(e.networkId()).map(NetworkRecord::vni).orElse(-1);
            if (vni >= 0 && !datapath.endpointPresent(vni, e.endpointId())) {
                // The container (and with it the veth pair) went away while we were down; Docker
                // will send DeleteEndpoint, or already did and we missed it. Nothing to rebuild.
                LOG.info("endpoint {} has no interface any more; waiting for Docker to delete it",
                        e.endpointId().substring(0, 12));
            }
        }
        datapath.removeStrays(vnis, endpoints);
    }

    /**
     * Endpoints whose container went away while the router was down: Docker sent Leave,
     * DeleteEndpoint and ReleaseAddress to nobody (it retries for ~15 s, then drops them). Once
     * dockerd answers, every endpoint restored from disk that dockerd no longer lists on its network
     * loses its interface, record and address. Endpoints created since the start are left alone.
     */
    private void collectStaleEndpoints(Set<String> restored) {
        long deadline = System.currentTimeMillis() + 600_000;
        while (!docker.ping()) {
            if (closed || System.currentTimeMillis() > deadline) {
                return;
            }
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                return;
            }
        }
        for (NetworkRecord n : state.networks()) {
            var net = docker.network(n.networkId()).orElse(null);
            if (net == null) {
                continue; // dockerd does not know the network: DeleteNetwork will come, or already did
            }
            Set<String> live = new HashSet<>();
            if (net.getContainers() != null) {
                net.getContainers().values().forEach(c -> live.add(c.getEndpointId()));
            }
            for (EndpointRecord e : state.endpointsOf(n.networkId())) {
                if (restored.contains(e.endpointId()) && !live.contains(e.endpointId())) {
                    LOG.info("endpoint {} ({}) ended while the router was down: removing its interface and address",
                            e.endpointId().substring(0, 12), e.address());
                    datapath.removeEndpoint(n.vni(), e.endpointId());
                    state.removeEndpoint(e.endpointId());
                    releaseAddress(e.address());
                }
            }
        }
    }

    private void releaseAddress(String cidr) {
        String ip = cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
        Ipv4Address a = Ipv4Address.parse(ip);
        ipam.snapshot().pools().stream().filter(p -> p.pool().contains(a)).findFirst()
                .ifPresent(p -> ipam.releaseAddress(p.poolId(), ip));
    }

    /** Routes and connected prefixes of the host, which automatic pools must not overlap. */
    private List<Cidr> hostRoutes() {
        List<Cidr> out = new ArrayList<>();
        for (Route r : host.routes().list(Sys.AF_INET)) {
            if (r.destination() != null && r.destination().prefixLength() > 0) {
                out.add(network(r.destination()));
            }
        }
        return out;
    }

    private static Cidr network(IpPrefix p) {
        return Cidr.containing(Ipv4Address.parse(p.address().getHostAddress()), p.prefixLength());
    }

    /** The ifindex of the link holding {@code addr}; refuses an address this host does not have. */
    static int underlayIndex(Handle h, InetAddress addr) {
        return h.addresses().list(null).stream().filter(a -> a.prefix().address().equals(addr))
                .mapToInt(Address::linkIndex).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--advertise-addr " + addr.getHostAddress()
                        + " is not an address of this host (network namespace)"));
    }

    /** Local networks whose names dockerd has told us: where DNS listeners belong. */
    private List<io.jweave.router.dns.NetworkDnsListeners.Network> dnsNetworks() {
        Map<String, String> names = mesh.localNames();
        List<io.jweave.router.dns.NetworkDnsListeners.Network> out = new ArrayList<>();
        for (NetworkRecord n : state.networks()) {
            String name = names.get(n.networkId());
            if (name != null) {
                out.add(new io.jweave.router.dns.NetworkDnsListeners.Network(n.vni(), name, n.pool()));
            }
        }
        return out;
    }

    /** The status report ({@code GET /status}, {@code jweave status}). */
    public StatusReport report() {
        List<StatusReport.Network> nets = new ArrayList<>();
        Map<String, String> names = mesh.localNames();
        for (NetworkRecord n : state.networks()) {
            String name = names.get(n.networkId());
            nets.add(new StatusReport.Network(name, n.networkId(), n.vni(), n.pool(), n.gateway(), n.mtu(),
                    state.endpointsOf(n.networkId()).size(), mesh.remoteEndpoints(name)));
        }
        List<StatusReport.Endpoint> eps = new ArrayList<>();
        for (EndpointRecord e : state.endpoints()) {
            eps.add(new StatusReport.Endpoint(e.endpointId(), names.getOrDefault(e.networkId(), e.networkId()),
                    e.address(), e.mac(), e.ifName(),
                    e.sandboxKey() != null));
        }
        List<StatusReport.Peer> peers = RouterApi.peers(mesh, encryption, paths::datapath);
        return new StatusReport(config.name(), io.jweave.router.cli.VersionCommand.version(),
                config.advertiseAddr().getHostAddress(), config.pluginSocket().toString(), config.dataDir().toString(),
                (System.currentTimeMillis() - startedAt) / 1000, peers, nets, eps, StatusReport.Ipam.of(ipam.snapshot()),
                dns.report());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (probes != null) {
            probes.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
        if (status != null) {
            status.close();
        }
        if (topology != null) {
            topology.close();
        }
        if (topologyFacts != null) {
            topologyFacts.close();
        }
        if (dns != null) {
            dns.close(); // withdraws this host's names before the mesh goes
        }
        if (mesh != null) {
            mesh.close();
        }
        if (docker != null) {
            docker.close();
        }
        if (state != null) {
            state.flush();
        }
        if (datapath != null) {
            datapath.close();
        }
        if (paths != null) {
            paths.close(); // every peer back on the kernel path before the tunnel goes
        }
        if (encryption != null) {
            encryption.close(); // after the mesh said goodbye through it; the TUN and its routes stay (fail closed)
        }
        if (host != null) {
            host.close();
        }
        LOG.info("router {} stopped; the datapath stays in place", config.name());
    }
}
