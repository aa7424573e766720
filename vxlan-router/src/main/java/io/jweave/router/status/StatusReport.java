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
     * @param datapath   for a connected peer: vxlan, tunnel, tcp or down (with {@code datapathReason},
     *                   {@code datapathSince}, heartbeat RTT and loss, {@code datapathSwitches}); null otherwise
     */
    public record Peer(String name, String address, String state, boolean self, String since, boolean joinTarget,
                       boolean encrypted, String reason, String datapath, String datapathReason, String datapathSince,
                       Double heartbeatRttMs, Double heartbeatLoss, Long datapathSwitches) {
        /** A peer of a mesh without a password. */
        public Peer(String name, String address, String state, boolean self, String since, boolean joinTarget) {
            this(name, address, state, self, since, joinTarget, false, null);
        }

        /** A peer whose datapath is not known (not connected, or this router itself). */
        public Peer(String name, String address, String state, boolean self, String since, boolean joinTarget,
                    boolean encrypted, String reason) {
            this(name, address, state, self, since, joinTarget, encrypted, reason, null, null, null, null, null, null);
        }

        /** This peer with its datapath. */
        public Peer with(Datapath d) {
            return d == null ? this : new Peer(name, address, state, self, since, joinTarget, encrypted, reason,
                    d.datapath(), d.reason(), d.since(), d.heartbeatRttMs(), d.heartbeatLoss(), d.switches());
        }
    }

    /**
     * How traffic to a connected peer travels (see docs/operations.md, "Datapaths").
     *
     * @param datapath       vxlan (the kernel's), tunnel (userspace over UDP), tcp (userspace over TCP) or down
     * @param reason         why it is on that path
     * @param since          when it last changed (ISO-8601)
     * @param heartbeatRttMs round-trip time of full-size heartbeats, null before the first answer
     * @param heartbeatLoss  fraction of the last 20 full-size heartbeats unanswered
     * @param switches       times the datapath changed since the router started
     */
    public record Datapath(String datapath, String reason, String since, Double heartbeatRttMs, Double heartbeatLoss,
                           Long switches) {
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
