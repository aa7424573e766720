package io.jweave.router.status;

import io.jweave.discovery.Mesh;
import io.jweave.discovery.OwnedTable;
import io.jweave.ipam.IpamSnapshot;
import io.jweave.router.RouterConfig;
import io.jweave.router.docker.DockerEngine;
import io.jweave.router.mesh.MeshAgent;
import io.jweave.router.state.EndpointRecord;
import io.jweave.router.state.NetworkRecord;
import io.jweave.router.state.StateStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers {@link Topology.Facts} from the router's parts. Runs every 250 ms while a topology page
 * is open, so it only reads memory: the mesh's replicated tables, the state store, IPAM, the DNS
 * registry. The one slow source, the local dockerd (names of local containers that jweave's DNS
 * does not name), is asked on a thread of its own, at most every {@link #DOCKER_RETRY_MS}, and only
 * while a local endpoint's container is not known; its last answer is used meanwhile.
 */
public final class TopologyFacts implements Supplier<Topology.Facts>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopologyFacts.class);
    static final long DOCKER_RETRY_MS = 2_000;

    /** The DNS side: records by (owner, network, ip), the domain, and the record count of {@code /status}. */
    public interface Names {
        List<Topology.NameFact> names();

        String domain();

        int records();
    }

    private final RouterConfig cfg;
    private final StateStore state;
    private final MeshAgent agent;
    private final Supplier<IpamSnapshot> ipam;
    private final DockerEngine docker;
    private final PeerSecurity security;
    private final Function<String, StatusReport.Datapath> datapaths;
    private final Names dns;
    private final ExecutorService dockerThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jweave-topology-docker");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean asking = new AtomicBoolean();
    /** Endpoint id → {container id, container name}, as the local dockerd last listed them. */
    private volatile Map<String, String[]> containers = Map.of();
    private volatile long lastAsked;

    public TopologyFacts(RouterConfig cfg, StateStore state, MeshAgent agent, Supplier<IpamSnapshot> ipam,
                         DockerEngine docker, PeerSecurity security, Function<String, StatusReport.Datapath> datapaths,
                         Names dns) {
        this.cfg = cfg;
        this.state = state;
        this.agent = agent;
        this.ipam = ipam;
        this.docker = docker;
        this.security = security;
        this.datapaths = datapaths;
        this.dns = dns;
    }

    @Override
    public Topology.Facts get() {
        String self = cfg.name();
        Map<String, String> names = agent.localNames();
        List<Topology.NetworkFact> networks = new ArrayList<>();
        for (NetworkRecord n : state.networks()) {
            networks.add(new Topology.NetworkFact(names.getOrDefault(n.networkId(), n.networkId()), n.networkId(),
                    n.pool(), emptyToNull(n.gateway()), n.vni(), n.mtu(), true));
        }
        List<Topology.EndpointFact> endpoints = new ArrayList<>();
        Map<String, String[]> known = containers;
        boolean unknown = false;
        for (EndpointRecord e : state.endpoints()) {
            String[] c = known.get(e.endpointId());
            unknown |= c == null && e.sandboxKey() != null;
            endpoints.add(new Topology.EndpointFact(e.endpointId(), self, names.getOrDefault(e.networkId(), e.networkId()),
                    stripMask(e.address()), e.mac(), c == null ? null : c[0], c == null ? null : c[1]));
        }
        Mesh m = agent.mesh();
        if (m != null) {
            for (OwnedTable.Row<io.jweave.discovery.NetworkRecord> r : m.networks().all()) {
                if (!"true".equals(r.value().options().get(MeshAgent.DELETED))) {
                    networks.add(new Topology.NetworkFact(r.key(), null, r.value().subnet(), emptyToNull(r.value().gateway()),
                            r.value().vni(), null, false));
                }
            }
            for (OwnedTable.Row<io.jweave.discovery.EndpointRecord> r : m.endpoints().all()) {
                if (!r.owner().equals(self)) {
                    endpoints.add(new Topology.EndpointFact(r.key(), r.owner(), r.value().network(), r.value().ip(),
                            r.value().mac(), null, emptyToNull(r.value().containerName())));
                }
            }
        }
        if (unknown) {
            askDocker();
        }
        return new Topology.Facts(self, RouterApi.peers(agent, security, datapaths), networks, endpoints, dns.names(),
                StatusReport.Ipam.of(ipam.get()), dns.domain(), dns.records());
    }

    /** Asks the local dockerd for its containers' endpoints, in the background, at most every {@link #DOCKER_RETRY_MS}. */
    private void askDocker() {
        long now = System.currentTimeMillis();
        if (now - lastAsked < DOCKER_RETRY_MS || !asking.compareAndSet(false, true)) {
            return;
        }
        lastAsked = now;
        try {
            dockerThread.execute(() -> {
                try {
                    Map<String, String[]> out = new HashMap<>();
                    for (NetworkRecord n : state.networks()) {
                        var net = docker.network(n.networkId()).orElse(null);
                        if (net != null && net.getContainers() != null) {
                            net.getContainers().forEach((cid, c) -> out.put(c.getEndpointId(),
                                    new String[] {cid, c.getName()}));
                        }
                    }
                    containers = Map.copyOf(out);
                } catch (RuntimeException e) {
                    LOG.debug("topology: the local dockerd did not list the containers: {}", e.toString());
                } finally {
                    asking.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            asking.set(false); // closing
        }
    }

    private static String stripMask(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        return slash < 0 ? cidr : cidr.substring(0, slash);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** Names of a set of DNS entries (for tests and {@link io.jweave.router.RouterDns}). */
    public static List<Topology.NameFact> nameFacts(List<io.jweave.router.dns.MeshDnsRegistry.Entry> entries) {
        List<Topology.NameFact> out = new ArrayList<>();
        for (var e : entries) {
            if (!e.record().manual()) {
                out.add(new Topology.NameFact(e.owner(), e.record().network(), e.record().ip(), e.record().names(),
                        e.record().container()));
            }
        }
        return out;
    }

    @Override
    public void close() {
        dockerThread.shutdownNow();
    }
}
