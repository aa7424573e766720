package io.jweave.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.Event;
import io.jweave.discovery.Mesh;
import io.jweave.router.datapath.Datapath;
import io.jweave.router.dns.ContainerDnsRoute;
import io.jweave.router.dns.DnsNames;
import io.jweave.router.dns.DnsServer;
import io.jweave.router.dns.DnsServerConfig;
import io.jweave.router.dns.DnsStats;
import io.jweave.router.dns.ManualRecords;
import io.jweave.router.dns.MeshDnsRegistry;
import io.jweave.router.dns.NameRecord;
import io.jweave.router.dns.NetworkDnsListeners;
import io.jweave.router.docker.DockerEngine;
import io.jweave.router.mesh.NameAgent;
import io.jweave.router.state.StateStore;
import io.jweave.router.status.StatusReport;
import io.jweave.router.status.StatusServer;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's DNS, wired: the server (answers), the registry (the mesh's {@code dns} table), the
 * agent that publishes this host's names, the listeners in each network's namespace, the route
 * containers get in Join, manual records, and the status API's {@code /dns} routes.
 *
 * <p>Order: {@link #create} after the mesh has started; hand {@link #route()} to the driver;
 * {@link #start} once the plugin socket is up and the Docker watcher runs; {@link #close} before
 * the mesh closes (it withdraws this host's names: a clean leave).
 */
public final class RouterDns implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RouterDns.class);
    public static final String TABLE = "dns";

    private final RouterConfig config;
    private final String domain;
    private final Inet4Address address;
    private final List<InetSocketAddress> upstreams;
    private final ManualRecords manual;
    private final MeshDnsRegistry registry;
    private final DnsServer server;
    private final NameAgent names;
    private final ContainerDnsRoute route;
    private final NetworkDnsListeners listeners;

    private RouterDns(RouterConfig config, Mesh mesh, DockerEngine docker, Datapath datapath, StateStore state,
                      Supplier<List<NetworkDnsListeners.Network>> networks) {
        this.config = config;
        this.domain = DnsNames.domain(config.dnsDomain());
        this.address = (Inet4Address) config.dnsAddress();
        this.upstreams = config.dnsUpstreams().isEmpty()
                ? DnsServerConfig.upstreamsFromResolvConf(Path.of("/etc/resolv.conf"))
                : DnsServerConfig.parseUpstreams(config.dnsUpstreams());
        this.manual = new ManualRecords(config.dataDir());
        this.registry = new MeshDnsRegistry(mesh, mesh.table(TABLE, NameRecord.CODEC));
        this.server = new DnsServer(DnsServerConfig.of(domain, config.dnsTtl(), upstreams), registry);
        this.names = new NameAgent(domain, docker, mesh, registry, manual);
        this.route = new ContainerDnsRoute(address, state);
        this.listeners = new NetworkDnsListeners(datapath, server, address, networks);
        state.onChange(listeners::trigger);
        LOG.info("dns: domain {}, address {}, ttl {} s, upstreams {}", domain, address.getHostAddress(), config.dnsTtl(),
                upstreams.stream().map(RouterDns::text).toList());
    }

    /** @param networks the local networks whose names are known (VNI, cluster name, subnet) */
    public static RouterDns create(RouterConfig config, Mesh mesh, DockerEngine docker, Datapath datapath, StateStore state,
                                   Supplier<List<NetworkDnsListeners.Network>> networks) {
        return new RouterDns(config, mesh, docker, datapath, state, networks);
    }

    /** The route containers get in Join (for the network driver). */
    public ContainerDnsRoute route() {
        return route;
    }

    public void dockerEvent(Event e) {
        names.dockerEvent(e);
    }

    public void dockerStreamStarted() {
        names.streamStarted();
    }

    public void start() {
        names.start();
        listeners.start();
    }

    /** Asks the listeners to catch up now (e.g. a network's name became known). */
    public void networksChanged() {
        listeners.trigger();
    }

    // ------------------------------------------------------------------ status API

    /** The DNS server's counters (for metrics). */
    public DnsStats stats() {
        return server.stats();
    }

    public StatusReport.Dns report() {
        DnsStats s = server.stats();
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("queries", s.queries());
        stats.put("answered", s.answered());
        stats.put("nxdomain", s.nxdomain());
        stats.put("nodata", s.nodata());
        stats.put("forwarded", s.forwarded());
        stats.put("forwardErrors", s.forwardErrors());
        stats.put("malformed", s.malformed());
        stats.put("truncated", s.truncated());
        stats.put("servfail", s.servfail());
        List<StatusReport.DnsListener> ls = listeners.listeners().stream()
                .map(l -> new StatusReport.DnsListener(l.network(), l.vni(), l.address())).toList();
        return new StatusReport.Dns(address.getHostAddress(), domain, config.dnsTtl(),
                upstreams.stream().map(RouterDns::text).toList(), ls, registry.entries().size(), registry.keptCount(), stats);
    }

    /** The names of containers as the mesh's DNS table holds them (for the topology page). */
    public io.jweave.router.status.TopologyFacts.Names topologyNames() {
        return new io.jweave.router.status.TopologyFacts.Names() {
            @Override
            public List<io.jweave.router.status.Topology.NameFact> names() {
                return io.jweave.router.status.TopologyFacts.nameFacts(registry.entries());
            }

            @Override
            public String domain() {
                return domain;
            }

            @Override
            public int records() {
                return registry.entries().size();
            }
        };
    }

    private static String text(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** {@code GET /dns}: summary and every record. */
    public StatusReport.DnsReport fullReport() {
        return new StatusReport.DnsReport(report(), records(registry.entries()));
    }

    private static List<StatusReport.DnsRecord> records(List<MeshDnsRegistry.Entry> entries) {
        List<StatusReport.DnsRecord> out = new ArrayList<>();
        for (MeshDnsRegistry.Entry e : entries) {
            for (String n : e.record().names()) {
                out.add(new StatusReport.DnsRecord(n, e.record().ip(), e.record().network(), e.owner(),
                        e.record().container()));
            }
        }
        out.sort((a, b) -> (a.name() + " " + a.ip()).compareTo(b.name() + " " + b.ip()));
        return out;
    }

    /**
     * The status API's DNS routes: {@code GET /dns} (summary and records), {@code POST /dns/add} and
     * {@code /dns/remove} with {@code {"name": NAME, "ips": [IP...]}}, {@code GET /dns/lookup?name=NAME}.
     */
    public Map<String, StatusServer.Endpoint> routes() {
        return Map.of(
                "/dns", StatusServer.Endpoint.json(this::fullReport),
                "/dns/add", StatusServer.Endpoint.post(arg -> {
                    String fqdn = name(arg);
                    List<String> ips = ips(arg);
                    if (ips.isEmpty()) {
                        throw new IllegalArgumentException("dns-add needs at least one IP address before the name");
                    }
                    int n = manual.add(ips, fqdn);
                    return Map.of("name", fqdn, "ips", ips, "added", n);
                }),
                "/dns/remove", StatusServer.Endpoint.post(arg -> {
                    String fqdn = name(arg);
                    List<String> ips = ips(arg);
                    int n = manual.remove(ips, fqdn);
                    if (n == 0) {
                        throw new IllegalArgumentException("no record " + fqdn + (ips.isEmpty() ? "" : " for " + String.join(" ", ips))
                                + " was added on this host (dns-remove removes only records added here with dns-add)");
                    }
                    return Map.of("name", fqdn, "removed", n);
                }),
                "/dns/lookup", new StatusServer.Endpoint("GET", arg -> {
                    String fqdn = name(arg);
                    return Map.of("name", fqdn, "records", records(registry.lookup(fqdn)));
                }, "application/json"));
    }

    private String name(JsonNode arg) {
        JsonNode n = arg.get("name");
        if (n == null || !n.isTextual() || n.asText().isBlank()) {
            throw new IllegalArgumentException("one NAME is needed");
        }
        return DnsNames.qualify(n.asText(), domain).orElseThrow(() -> new IllegalArgumentException("\"" + n.asText()
                + "\" is not a valid DNS name (labels of 1-63 letters, digits, '-' or '_', separated by dots)"));
    }

    private static List<String> ips(JsonNode arg) {
        List<String> out = new ArrayList<>();
        JsonNode ips = arg.path("ips");
        if (ips.isTextual()) {
            out.add(DnsNames.ipv4(ips.asText()).getHostAddress());
        } else if (ips.isArray()) {
            for (JsonNode ip : ips) {
                out.add(DnsNames.ipv4(ip.asText()).getHostAddress());
            }
        } else if (!ips.isMissingNode()) {
            throw new IllegalArgumentException("\"ips\" must be a list of IPv4 addresses");
        }
        return out;
    }

    @Override
    public void close() {
        listeners.close();
        names.close();
        registry.close();
        server.close();
        route.close();
    }
}
