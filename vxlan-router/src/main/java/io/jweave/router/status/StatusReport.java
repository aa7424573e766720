package io.jweave.router.status;

import io.jweave.ipam.IpamSnapshot;
import java.util.List;

/** What {@code GET /status} answers and {@code jweave status} prints. */
public record StatusReport(String name, String version, String advertiseAddress, String pluginSocket,
                           String dataDir, long uptimeSeconds, List<Peer> peers, List<Network> networks,
                           List<Endpoint> endpoints, Ipam ipam, Dns dns) {

    /**
     * A router of the mesh (this one included), or a join target not in the mesh (name null).
     *
     * @param state      connected, departed, unreachable, connecting or refused (see docs/operations.md)
     * @param since      when this router saw the state begin (ISO-8601), null if unknown
     * @param joinTarget whether this router joins it (a launch peer or {@code jweave connect}, not forgotten)
     * @param encrypted  whether what this router exchanges with it is encrypted (a mesh with a password, and
     *                   a tunnel session with it is up; this router itself: whether it has a password)
     * @param reason     why it is refused ("wrong password or none", "it has no password", ...), else null
     */
    public record Peer(String name, String address, String state, boolean self, String since, boolean joinTarget,
                       boolean encrypted, String reason) {
        /** A peer of a mesh without a password. */
        public Peer(String name, String address, String state, boolean self, String since, boolean joinTarget) {
            this(name, address, state, self, since, joinTarget, false, null);
        }
    }

    /** A jweave network present on this host. */
    public record Network(String name, String networkId, int vni, String subnet, String gateway, int mtu,
                          int localEndpoints, int remoteEndpoints) {
    }

    /** IPAM usage on this host. */
    public record Ipam(String autoRange, int autoPrefix, List<Pool> pools) {
        public static Ipam of(IpamSnapshot s) {
            return new Ipam(s.autoRange().toString(), s.autoPrefix(), s.pools().stream()
                    .map(p -> new Pool(p.poolId(), p.pool().toString(), p.range().toString(), p.automatic(),
                            p.used(), p.free(), p.allocations().stream().map(a -> a.address().toString()).toList()))
                    .toList());
        }
    }

    /** One pool: addresses used and free, and which are allocated. */
    public record Pool(String poolId, String pool, String range, boolean automatic, long used, long free,
                       List<String> allocated) {
    }

    /**
     * jweave's DNS server on this host: where containers reach it, what it forwards to, its listeners
     * (one per local network), how many records it answers from ({@code kept}: of hosts that
     * vanished without withdrawing them) and its counters.
     */
    public record Dns(String address, String domain, int ttl, List<String> upstreams, List<DnsListener> listeners,
                      int records, int kept, java.util.Map<String, Long> stats) {
    }

    /** The DNS server's listener in one network's namespace. */
    public record DnsListener(String network, int vni, String address) {
    }

    /** One DNS record ({@code GET /dns}); {@code network} "" = every network (a manual record outside any subnet). */
    public record DnsRecord(String name, String ip, String network, String owner, String container) {
    }

    /** {@code GET /dns}: the summary and every record. */
    public record DnsReport(Dns dns, List<DnsRecord> records) {
    }

    /** A local endpoint. */
    public record Endpoint(String endpointId, String network, String address, String mac, String iface,
                           boolean joined) {
    }
}
