package io.jweave.router.driver;

import io.jweave.ipam.Cidr;
import io.jweave.ipam.Ipv4Address;
import io.jweave.netlink.MacAddress;
import io.jweave.plugin.CreateEndpointRequest;
import io.jweave.plugin.CreateEndpointResponse;
import io.jweave.plugin.CreateNetworkRequest;
import io.jweave.plugin.DeleteEndpointRequest;
import io.jweave.plugin.DeleteNetworkRequest;
import io.jweave.plugin.DriverOptions;
import io.jweave.plugin.EndpointOperInfoRequest;
import io.jweave.plugin.EndpointOperInfoResponse;
import io.jweave.plugin.InterfaceName;
import io.jweave.plugin.IpamData;
import io.jweave.plugin.JoinRequest;
import io.jweave.plugin.JoinResponse;
import io.jweave.plugin.LeaveRequest;
import io.jweave.plugin.NetworkDriver;
import io.jweave.plugin.PluginException;
import io.jweave.plugin.StaticRoute;
import io.jweave.router.dns.ContainerDnsRoute;
import io.jweave.router.datapath.Datapath;
import io.jweave.router.state.EndpointRecord;
import io.jweave.router.state.NetworkRecord;
import io.jweave.router.state.StateStore;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Docker's {@code NetworkDriver.*} calls land here: validate, change the datapath, persist, answer.
 * Everything is answered from local state; no call reaches the Docker API or the network.
 */
public final class NetworkDriverImpl implements NetworkDriver {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkDriverImpl.class);
    /** The {@code -o} options jweave understands. */
    static final Set<String> KNOWN_OPTIONS = Set.of(DriverOptions.MTU);
    static final int MIN_MTU = 68;

    private final StateStore state;
    private final Datapath datapath;
    private final int maxMtu;
    private final VniAllocator vnis;
    /** The container's route to jweave's DNS address (null: no DNS route). */
    private final ContainerDnsRoute dnsRoute;

    public NetworkDriverImpl(StateStore state, Datapath datapath) {
        this(state, datapath, VniAllocator.local());
    }

    public NetworkDriverImpl(StateStore state, Datapath datapath, VniAllocator vnis) {
        this(state, datapath, vnis, null);
    }

    public NetworkDriverImpl(StateStore state, Datapath datapath, VniAllocator vnis, ContainerDnsRoute dnsRoute) {
        this.dnsRoute = dnsRoute;
        this.state = state;
        this.datapath = datapath;
        this.vnis = vnis;
        this.maxMtu = datapath.defaultMtu();
    }

    @Override
    public synchronized void createNetwork(CreateNetworkRequest r) {
        String id = requireId(r.networkId(), "NetworkID");
        if (state.network(id).isPresent()) {
            return; // a retry of a call that succeeded
        }
        DriverOptions opts = r.options();
        Map<String, String> generic = new LinkedHashMap<>(opts.generic());
        for (String k : generic.keySet()) {
            if (!KNOWN_OPTIONS.contains(k)) {
                throw new PluginException("unknown option \"" + k + "\"; jweave networks accept: "
                        + String.join(", ", KNOWN_OPTIONS));
            }
        }
        int mtu = mtu(generic.get(DriverOptions.MTU));
        if (r.ipv6Data() != null && !r.ipv6Data().isEmpty()) {
            throw new PluginException("jweave networks do not support IPv6 yet; create the network without --ipv6");
        }
        List<IpamData> v4 = r.ipv4Data() == null ? List.of() : r.ipv4Data();
        if (v4.size() != 1 || v4.get(0).pool() == null || v4.get(0).pool().isEmpty()) {
            throw new PluginException("a jweave network has exactly one IPv4 subnet; got " + v4.size());
        }
        IpamData d = v4.get(0);
        Cidr pool = parsePool(d.pool());
        if (dnsRoute != null && pool.contains(Ipv4Address.parse(dnsRoute.address().getHostAddress()))) {
            throw new PluginException("subnet " + pool + " holds " + dnsRoute.address().getHostAddress()
                    + ", the address of jweave's DNS server on every network (--dns-address); choose another subnet");
        }
        for (NetworkRecord other : state.networks()) {
            if (parsePool(other.pool()).overlaps(pool)) {
                throw new PluginException("subnet " + pool + " overlaps subnet " + other.pool()
                        + " of another jweave network");
            }
        }
        int vni = freeVni(pool.toString());
        NetworkRecord rec = new NetworkRecord(id, vni, pool.toString(), stripMask(d.gateway()), mtu,
                opts.internal(), generic);
        try {
            datapath.ensureNetwork(vni, mtu);
            state.putNetwork(rec);
        } catch (RuntimeException e) {
            safely(() -> datapath.removeNetwork(vni));
            throw new PluginException("cannot create the datapath of network " + pool + ": " + e.getMessage(), e);
        }
        LOG.info("network {} (vni {}, subnet {}, mtu {}) created", shortId(id), vni, pool, mtu);
    }

    @Override
    public synchronized void deleteNetwork(DeleteNetworkRequest r) {
        String id = requireId(r.networkId(), "NetworkID");
        NetworkRecord n = state.network(id).orElse(null);
        if (n == null) {
            LOG.info("DeleteNetwork for unknown network {}: nothing to do", shortId(id));
            return;
        }
        for (EndpointRecord e : state.endpointsOf(id)) {
            datapath.removeEndpoint(n.vni(), e.endpointId());
            state.removeEndpoint(e.endpointId());
        }
        datapath.removeNetwork(n.vni());
        state.removeNetwork(id);
        vnis.released(n.pool(), n.vni());
        LOG.info("network {} (vni {}) deleted", shortId(id), n.vni());
    }

    @Override
    public synchronized CreateEndpointResponse createEndpoint(CreateEndpointRequest r) {
        String netId = requireId(r.networkId(), "NetworkID");
        String epId = requireId(r.endpointId(), "EndpointID");
        NetworkRecord n = network(netId);
        EndpointRecord existing = state.endpoint(epId).orElse(null);
        String reqMac = r.iface() == null ? "" : nullToEmpty(r.iface().macAddress());
        if (existing != null) {
            return reqMac.isEmpty() ? CreateEndpointResponse.withMac(existing.mac()) : CreateEndpointResponse.NONE;
        }
        String address = r.iface() == null ? "" : nullToEmpty(r.iface().address());
        if (address.isEmpty()) {
            throw new PluginException("endpoint " + shortId(epId) + " has no IPv4 address; use --ipam-driver jweave "
                    + "or give the network an IPv4 subnet");
        }
        if (r.iface() != null && !nullToEmpty(r.iface().addressIpv6()).isEmpty()) {
            throw new PluginException("jweave networks do not support IPv6 yet");
        }
        Ipv4Address ip = Ipv4Address.parse(stripMask(address));
        if (!parsePool(n.pool()).contains(ip)) {
            throw new PluginException("address " + address + " is outside the network's subnet " + n.pool());
        }
        MacAddress mac;
        try {
            mac = reqMac.isEmpty() ? macFor(ip) : MacAddress.parse(reqMac);
        } catch (IllegalArgumentException e) {
            throw new PluginException(e.getMessage());
        }
        String ifName;
        try {
            ifName = datapath.createEndpoint(n.vni(), epId, mac, n.mtu());
        } catch (RuntimeException e) {
            safely(() -> datapath.removeEndpoint(n.vni(), epId));
            throw new PluginException("cannot create the interface of endpoint " + shortId(epId) + ": " + e.getMessage(), e);
        }
        state.putEndpoint(new EndpointRecord(epId, netId, address, mac.toString(), ifName, null));
        return reqMac.isEmpty() ? CreateEndpointResponse.withMac(mac.toString()) : CreateEndpointResponse.NONE;
    }

    @Override
    public EndpointOperInfoResponse endpointOperInfo(EndpointOperInfoRequest r) {
        EndpointRecord e = state.endpoint(r.endpointId()).orElse(null);
        if (e == null) {
            return EndpointOperInfoResponse.EMPTY;
        }
        return new EndpointOperInfoResponse(Map.of("address", e.address(), "mac", e.mac(), "interface", e.ifName()));
    }

    @Override
    public synchronized JoinResponse join(JoinRequest r) {
        String epId = requireId(r.endpointId(), "EndpointID");
        network(requireId(r.networkId(), "NetworkID"));
        EndpointRecord e = state.endpoint(epId).orElseThrow(() -> new PluginException(
                "unknown endpoint " + shortId(epId) + " (no CreateEndpoint was seen for it)"));
        List<StaticRoute> routes = dnsRoute == null ? List.of() : dnsRoute.forJoin(e, r.sandboxKey());
        // Informational only (status): kept in memory, written with the next real change, no fsync here.
        state.updateEndpointInMemory(e.withSandbox(r.sandboxKey()));
        // No gateway: Docker attaches docker_gwbridge for egress and -p (see docs/architecture.md).
        return new JoinResponse(new InterfaceName(e.ifName(), "eth"), "", "", routes, false);
    }

    @Override
    public synchronized void leave(LeaveRequest r) {
        state.endpoint(nullToEmpty(r.endpointId())).ifPresent(e -> {
            if (dnsRoute != null) {
                dnsRoute.left(e);
            }
            state.updateEndpointInMemory(e.withSandbox(null));
        });
    }

    @Override
    public synchronized void deleteEndpoint(DeleteEndpointRequest r) {
        String epId = requireId(r.endpointId(), "EndpointID");
        EndpointRecord e = state.endpoint(epId).orElse(null);
        if (e == null) {
            LOG.info("DeleteEndpoint for unknown endpoint {}: nothing to do", shortId(epId));
            return;
        }
        state.network(e.networkId()).ifPresent(n -> datapath.removeEndpoint(n.vni(), epId));
        state.removeEndpoint(epId);
        if (dnsRoute != null) {
            dnsRoute.deleted(e);
        }
    }

    private NetworkRecord network(String id) {
        return state.network(id).orElseThrow(() -> new PluginException("unknown network " + shortId(id)
                + ": jweave has no record of it (was the router's data directory lost?)"));
    }

    private int mtu(String value) {
        if (value == null) {
            return maxMtu;
        }
        int m;
        try {
            m = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new PluginException("option " + DriverOptions.MTU + "=\"" + value + "\" is not a number");
        }
        if (m < MIN_MTU || m > maxMtu) {
            throw new PluginException("option " + DriverOptions.MTU + "=" + m + " is out of range: " + MIN_MTU
                    + ".." + maxMtu + " (the underlay's MTU minus 50 bytes of VXLAN"
                    + (maxMtu < 1450 ? ", minus 60 of the encrypted tunnel if the mesh has a password)" : ")"));
        }
        return m;
    }

    private int freeVni(String subnet) {
        Set<Integer> used = new HashSet<>();
        state.networks().forEach(n -> used.add(n.vni()));
        return vnis.vniFor(subnet, used);
    }

    /** {@code 02:42} followed by the IPv4 address, like Docker's own bridge driver. */
    static MacAddress macFor(Ipv4Address ip) {
        long v = ip.value();
        return new MacAddress(new byte[] {0x02, 0x42, (byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    private static Cidr parsePool(String s) {
        try {
            return Cidr.parse(s);
        } catch (RuntimeException e) {
            throw new PluginException(e.getMessage());
        }
    }

    private static String requireId(String id, String field) {
        if (id == null || id.isBlank()) {
            throw new PluginException("request has no " + field);
        }
        return id;
    }

    static String stripMask(String cidr) {
        if (cidr == null) {
            return null;
        }
        int slash = cidr.indexOf('/');
        return slash < 0 ? cidr : cidr.substring(0, slash);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("cleanup after a failed call also failed: {}", e.getMessage());
        }
    }
}
