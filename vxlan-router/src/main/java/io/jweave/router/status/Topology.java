package io.jweave.router.status;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole picture from one router, as {@code GET /api/topology} answers it and the topology page
 * draws it: hosts of the mesh, this router's links to the others, the jweave networks and every
 * container on them (on this host and the others). {@link #build} turns what the router knows
 * ({@link Facts}) into the {@link Content}; {@link TopologyService} numbers the contents (a new
 * {@code version} only when the content changed) and stamps them.
 */
public final class Topology {
    private Topology() {
    }

    // ------------------------------------------------------------------ the answer (docs/operations.md, "Topology page")

    /** {@code GET /api/topology}, and the data of each {@code topology} event of {@code /api/events}. */
    public record Snapshot(long version, String generatedAt, String self, List<Host> hosts, List<Link> links,
                           List<Network> networks, List<Container> containers, StatusReport.Ipam ipam, Dns dns) {
        static Snapshot of(long version, String generatedAt, Content c) {
            return new Snapshot(version, generatedAt, c.self(), c.hosts(), c.links(), c.networks(), c.containers(),
                    c.ipam(), c.dns());
        }
    }

    /** A snapshot without its number and time: what is compared to tell whether anything changed. */
    public record Content(String self, List<Host> hosts, List<Link> links, List<Network> networks,
                          List<Container> containers, StatusReport.Ipam ipam, Dns dns) {
    }

    /**
     * A router of the mesh (this one included).
     *
     * @param address    underlay (advertise) address, without the mesh port
     * @param state      connected, departed or unreachable (as {@code /peers})
     * @param since      when this router saw the state begin, null if unknown
     * @param joinTarget (added) whether this router joins it
     */
    public record Host(String name, String address, String state, boolean self, String since, boolean encrypted,
                       boolean joinTarget) {
    }

    /**
     * This router's link to another host.
     *
     * @param datapath vxlan, tunnel, tcp or down for a connected host, null otherwise
     * @param reason   why the datapath is what it is, null if unknown
     * @param since    when the datapath last changed (the host's state, if no datapath is known)
     * @param rttMs    heartbeat round trip, rounded (0.1 ms below 10 ms, 1 ms above), null before the first answer
     * @param loss     fraction of the last heartbeats unanswered, null if unknown
     */
    public record Link(String from, String to, String state, String datapath, boolean encrypted, String reason,
                       String since, Double rttMs, Double loss) {
    }

    /**
     * A jweave network.
     *
     * @param id        the local dockerd's network id, null if the network is not on this host
     * @param mtu       null if the network is not on this host
     * @param endpoints containers per host
     * @param local     (added) whether the network is present on this host
     */
    public record Network(String name, String id, String subnet, String gateway, Integer vni, Integer mtu,
                          Map<String, Integer> endpoints, boolean local) {
    }

    /**
     * An endpoint of a jweave network: a container's attachment.
     *
     * @param name        container name, null if unknown
     * @param containerId (added) Docker's container id, null if unknown
     * @param dnsNames    names it answers to in jweave's DNS (short and qualified)
     */
    public record Container(String name, String host, String network, String ip, String mac, String endpointId,
                            String containerId, List<String> dnsNames) {
    }

    /** jweave's DNS: its domain and how many records it answers from. */
    public record Dns(String domain, int records) {
    }

    // ------------------------------------------------------------------ what the router knows

    /**
     * Everything {@link #build} needs, gathered by {@link TopologyFacts}.
     *
     * @param peers     as {@code /peers} lists them (join targets that are no member are skipped here)
     * @param networks  networks of the mesh and of this host (several facts about one name are merged)
     * @param endpoints this host's endpoints and the other hosts' ones from the mesh
     * @param names     DNS records (of containers; manual ones have no container)
     */
    public record Facts(String self, List<StatusReport.Peer> peers, List<NetworkFact> networks,
                        List<EndpointFact> endpoints, List<NameFact> names, StatusReport.Ipam ipam, String domain,
                        int dnsRecords) {
    }

    /** A network as the mesh or this host knows it; {@code local}: from this host's state (id and mtu known). */
    public record NetworkFact(String name, String id, String subnet, String gateway, Integer vni, Integer mtu,
                              boolean local) {
    }

    /** An endpoint; container id and name null when unknown. */
    public record EndpointFact(String endpointId, String host, String network, String ip, String mac,
                               String containerId, String containerName) {
    }

    /** A DNS record of a container's address on a network, published by {@code owner}. */
    public record NameFact(String owner, String network, String ip, List<String> names, String containerId) {
    }

    // ------------------------------------------------------------------ building

    /** The content the facts describe; equal facts give equal contents (lists are sorted). */
    public static Content build(Facts f) {
        List<Host> hosts = new ArrayList<>();
        List<Link> links = new ArrayList<>();
        for (StatusReport.Peer p : f.peers()) {
            if (p.name() == null) {
                continue; // a join target that is no member, or a refused router: not a host of the mesh
            }
            hosts.add(new Host(p.name(), RouterApi.hostOf(p.address()), p.state(), p.self(), p.since(), p.encrypted(),
                    p.joinTarget()));
            if (!p.self()) {
                links.add(new Link(f.self(), p.name(), p.state(), p.datapath(), p.encrypted(), p.datapathReason(),
                        p.datapathSince() != null ? p.datapathSince() : p.since(), rtt(p.heartbeatRttMs()),
                        p.heartbeatLoss()));
            }
        }
        hosts.sort(Comparator.comparing(Host::name));
        links.sort(Comparator.comparing(Link::to));

        Map<String, NetworkFact> nets = new TreeMap<>();
        for (NetworkFact n : f.networks()) {
            if (n.name() != null) {
                nets.merge(n.name(), n, Topology::merge);
            }
        }

        Map<String, List<NameFact>> byAddress = new HashMap<>();
        for (NameFact n : f.names()) {
            byAddress.computeIfAbsent(n.owner() + "|" + n.network() + "|" + n.ip(), k -> new ArrayList<>()).add(n);
        }
        String suffix = f.domain() == null || f.domain().isEmpty() ? null : "." + f.domain();
        List<Container> containers = new ArrayList<>();
        Map<String, Map<String, Integer>> counts = new HashMap<>();
        for (EndpointFact e : f.endpoints()) {
            if (!nets.containsKey(e.network())) {
                continue;
            }
            List<NameFact> names = byAddress.getOrDefault(e.host() + "|" + e.network() + "|" + e.ip(), List.of());
            LinkedHashSet<String> dns = new LinkedHashSet<>();
            String containerId = e.containerId();
            String fromDns = null;
            for (NameFact n : names) {
                if (containerId == null && n.containerId() != null && !n.containerId().isEmpty()) {
                    containerId = n.containerId();
                }
                for (String fqdn : n.names()) {
                    String shortName = suffix != null && fqdn.endsWith(suffix) ? fqdn.substring(0, fqdn.length() - suffix.length()) : null;
                    if (shortName != null) {
                        dns.add(shortName);
                        if (fromDns == null) {
                            fromDns = shortName; // the container's own name comes first (NameAgent)
                        }
                    }
                    dns.add(fqdn);
                }
            }
            String name = e.containerName() != null && !e.containerName().isEmpty() ? e.containerName() : fromDns;
            containers.add(new Container(name, e.host(), e.network(), e.ip(), e.mac(), e.endpointId(), containerId,
                    List.copyOf(dns)));
            counts.computeIfAbsent(e.network(), k -> new TreeMap<>()).merge(e.host(), 1, Integer::sum);
        }
        containers.sort(Comparator.comparing(Container::network).thenComparing(Container::host)
                .thenComparing(c -> sortableIp(c.ip())).thenComparing(Container::endpointId));

        List<Network> networks = new ArrayList<>();
        nets.forEach((name, n) -> networks.add(new Network(name, n.id(), n.subnet(), n.gateway(), n.vni(), n.mtu(),
                counts.getOrDefault(name, Map.of()), n.local())));
        return new Content(f.self(), List.copyOf(hosts), List.copyOf(links), List.copyOf(networks),
                List.copyOf(containers), f.ipam(), new Dns(f.domain(), f.dnsRecords()));
    }

    /** This host's facts win (id, mtu); the mesh's fill the gaps. */
    private static NetworkFact merge(NetworkFact a, NetworkFact b) {
        NetworkFact first = a.local() || !b.local() ? a : b;
        NetworkFact other = first == a ? b : a;
        return new NetworkFact(first.name(), or(first.id(), other.id()), or(first.subnet(), other.subnet()),
                or(first.gateway(), other.gateway()), or(first.vni(), other.vni()), or(first.mtu(), other.mtu()),
                a.local() || b.local());
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }

    /**
     * Heartbeat RTTs change with every answer; rounded, so that a steady link does not make a new
     * version (and an event) every few hundred milliseconds.
     */
    static Double rtt(Double ms) {
        if (ms == null) {
            return null;
        }
        return ms < 10 ? Math.round(ms * 10) / 10.0 : (double) Math.round(ms);
    }

    /** IPv4 addresses in numeric order (10.0.0.9 before 10.0.0.10). */
    private static String sortableIp(String ip) {
        if (ip == null) {
            return "";
        }
        String[] parts = ip.split("\\.");
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            sb.append("000".substring(Math.min(3, p.length()))).append(p).append('.');
        }
        return sb.toString();
    }
}
