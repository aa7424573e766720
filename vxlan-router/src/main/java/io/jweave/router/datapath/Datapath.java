package io.jweave.router.datapath;

import io.jweave.netlink.Handle;
import io.jweave.netlink.Link;
import io.jweave.netlink.LinkSpec;
import io.jweave.netlink.LinkType;
import io.jweave.netlink.MacAddress;
import io.jweave.netlink.NetNs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel side of jweave on one host. Per overlay network (VNI): a network namespace of its own
 * holding a bridge and the network's VXLAN device; per local endpoint: a veth pair whose bridge end
 * lives in that namespace and whose other end waits in the host namespace for Docker to move it
 * into the container.
 *
 * <p>Why a namespace per network (as libnetwork's overlay driver does): the bridge and VXLAN sit
 * outside the host's routing table and iptables, so the host never routes between overlays and
 * Docker's FORWARD policy never sees bridged overlay traffic. The VXLAN device is created in the
 * host namespace and then moved, so its UDP socket stays on the host's underlay address.
 *
 * <p>Every method is idempotent and tolerates objects that are already there or already gone.
 */
public final class Datapath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Datapath.class);
    public static final String BRIDGE = "jwbr";

    private final Handle host;
    private final Path netnsDir;
    private final InetAddress vtep;
    private final int underlayIndex;
    private final int vxlanPort;
    private final int tunnelOverhead;
    private final Map<Integer, NetworkNs> networks = new HashMap<>();

    private record NetworkNs(NetNs ns, Handle handle) {
    }

    /**
     * @param host       rtnetlink in the host namespace (where dockerd looks for Join's interface)
     * @param netnsDir   where the per-network namespaces are bind-mounted (under the data directory)
     * @param vtep       this host's underlay address (VXLAN local address)
     * @param underlayIndex the underlay device's ifindex (0: let the kernel route)
     * @param vxlanPort  UDP port of VXLAN (4789)
     */
    public Datapath(Handle host, Path netnsDir, InetAddress vtep, int underlayIndex, int vxlanPort) {
        this(host, netnsDir, vtep, underlayIndex, vxlanPort, 0);
    }

    /**
     * @param tunnelOverhead bytes the encrypted tunnel adds under VXLAN (0: no password; the fallback tunnel
     *                       fragments what does not fit). With a password every MTU is reduced by the overhead.
     */
    public Datapath(Handle host, Path netnsDir, InetAddress vtep, int underlayIndex, int vxlanPort, int tunnelOverhead) {
        this.host = host;
        this.netnsDir = netnsDir;
        this.vtep = vtep;
        this.underlayIndex = underlayIndex;
        this.vxlanPort = vxlanPort;
        this.tunnelOverhead = tunnelOverhead;
    }

    /**
     * The underlay link the VXLAN devices are bound to: none, the kernel routes their packets. A device-bound
     * lookup would skip the policy rules that move a peer's VXLAN packets into the tunnel (with a password:
     * every peer; without: a peer whose kernel path failed), so no device is bound.
     */
    private int vxlanUnderlay() {
        return 0;
    }

    /** {@code mtu} lowered to what this host's path can carry (a network made before a password was set). */
    private int fit(int vni, int mtu) {
        int max = defaultMtu();
        if (mtu > max) {
            LOG.info("network vni {}: mtu {} lowered to {} (the tunnel's {} bytes)", vni, mtu, max, tunnelOverhead);
            return max;
        }
        return mtu;
    }

    public static String vxlanName(int vni) {
        return "jwvx-" + vni;
    }

    /** The host-side name Docker moves into the container (≤ 15 bytes). */
    public static String containerIfName(String endpointId) {
        return "jwc" + endpointId.substring(0, Math.min(11, endpointId.length()));
    }

    /** The bridge port's name inside the network namespace. */
    public static String bridgePortName(String endpointId) {
        return "jwp" + endpointId.substring(0, Math.min(11, endpointId.length()));
    }

    Path nsPath(int vni) {
        return netnsDir.resolve("vni-" + vni);
    }

    /** Creates (or completes) the namespace, bridge and VXLAN device of network {@code vni}. */
    public synchronized void ensureNetwork(int vni, int wantedMtu) {
        int mtu = fit(vni, wantedMtu);
        NetworkNs n = openOrCreateNs(vni);
        Handle h = n.handle();
        h.links().setUp("lo");
        if (h.links().byName(BRIDGE).isEmpty()) {
            h.links().add(new LinkSpec(BRIDGE, new LinkType.Bridge()).withMtu(mtu));
            LOG.info("network vni {}: created bridge {} (mtu {})", vni, BRIDGE, mtu);
        }
        h.links().setMtu(BRIDGE, mtu);
        h.links().setUp(BRIDGE);
        String vx = vxlanName(vni);
        Optional<Link> existing = h.links().byName(vx);
        if (existing.isPresent() && existing.get().type() instanceof LinkType.Vxlan v
                && (v.underlayIndex() != vxlanUnderlay() || v.port() != vxlanPort)) {
            // Made for another mode (with or without the encrypted tunnel): its entries come back with the
            // next reconcile pass.
            h.links().deleteIfExists(vx);
            LOG.info("network vni {}: vxlan {} recreated (underlay link {} -> {}, port {} -> {})", vni, vx,
                    v.underlayIndex(), vxlanUnderlay(), v.port(), vxlanPort);
        }
        if (h.links().byName(vx).isEmpty()) {
            // A half-made device from an earlier crash may wait in the host namespace.
            host.links().deleteIfExists(vx);
            LinkType.Vxlan spec = LinkType.Vxlan.of(vni).withLocal(vtep).withPort(vxlanPort).withProxy(true)
                    .withUnderlay(vxlanUnderlay());
            host.links().add(new LinkSpec(vx, spec).withMtu(mtu));
            host.links().moveTo(vx, n.ns());
            LOG.info("network vni {}: created vxlan {} (local {}, port {}, mtu {})", vni, vx,
                    vtep.getHostAddress(), vxlanPort, mtu);
        }
        h.links().setMtu(vx, mtu);
        Link vxl = h.links().byName(vx).orElseThrow();
        int br = h.links().byName(BRIDGE).orElseThrow().index();
        if (vxl.masterIndex() != br) {
            h.links().setMaster(vx, BRIDGE);
        }
        h.links().setUp(vx);
    }

    /** Removes network {@code vni}'s namespace (and with it the bridge, VXLAN and bridge ports). */
    public synchronized void removeNetwork(int vni) {
        NetworkNs n = networks.remove(vni);
        Path p = nsPath(vni);
        if (n == null && Files.exists(p)) {
            NetNs ns = null;
            try {
                ns = NetNs.open(p);
                n = new NetworkNs(ns, Handle.open(ns));
            } catch (RuntimeException e) {
                if (ns != null) {
                    ns.close();
                }
                LOG.debug("network vni {}: namespace file {} is not a live namespace ({})", vni, p, e.getMessage());
            }
        }
        if (n != null) {
            try {
                // Delete the VXLAN device now rather than with the namespace: the kernel frees a
                // namespace asynchronously, and until then the device keeps its VNI registered on
                // the host, so re-creating a network with the same VNI right away (docker network
                // rm + create, compose down + up) would fail with "VXLAN device ... already exists".
                n.handle().links().deleteIfExists(vxlanName(vni));
                n.handle().links().deleteIfExists(BRIDGE);
            } catch (RuntimeException e) {
                LOG.warn("network vni {}: cannot delete its links before the namespace ({})", vni, e.getMessage());
            } finally {
                n.handle().close();
                n.ns().close();
            }
        }
        host.links().deleteIfExists(vxlanName(vni));
        if (Files.exists(p)) {
            NetNs.delete(p);
            LOG.info("network vni {}: removed namespace {}", vni, p);
        }
    }

    /**
     * Creates the veth pair of an endpoint: the bridge port inside the network namespace, the other
     * end (returned name) in the host namespace with the endpoint's MAC and MTU, ready for Docker.
     */
    public synchronized String createEndpoint(int vni, String endpointId, MacAddress mac, int wantedMtu) {
        int mtu = fit(vni, wantedMtu);
        NetworkNs n = networks.get(vni);
        if (n == null) {
            throw new IllegalStateException("network vni " + vni + " has no datapath");
        }
        String outer = containerIfName(endpointId);
        String port = bridgePortName(endpointId);
        if (host.links().byName(outer).isEmpty()) {
            n.handle().links().deleteIfExists(port);
            host.links().add(new LinkSpec(outer, new LinkType.Veth(port, n.ns())).withMtu(mtu).withMac(mac));
        }
        n.handle().links().setMaster(port, BRIDGE);
        n.handle().links().setUp(port);
        LOG.info("network vni {}: endpoint {} veth {} (mac {}, mtu {}) on bridge port {}", vni,
                endpointId.substring(0, Math.min(12, endpointId.length())), outer, mac, mtu, port);
        return outer;
    }

    /** Removes an endpoint's veth pair, wherever its ends are now. */
    public synchronized void removeEndpoint(int vni, String endpointId) {
        String outer = containerIfName(endpointId);
        boolean gone = host.links().deleteIfExists(outer);
        NetworkNs n = networks.get(vni);
        if (n != null) {
            gone |= n.handle().links().deleteIfExists(bridgePortName(endpointId));
        }
        if (gone) {
            LOG.info("network vni {}: removed endpoint {} veth", vni, endpointId.substring(0, Math.min(12, endpointId.length())));
        }
    }

    /** Whether the bridge port of an endpoint exists (its container end may be inside a container). */
    public synchronized boolean endpointPresent(int vni, String endpointId) {
        NetworkNs n = networks.get(vni);
        return n != null && n.handle().links().byName(bridgePortName(endpointId)).isPresent();
    }

    /** The MTU to use when none is configured: the underlay's minus VXLAN's 50 bytes. */
    public int defaultMtu() {
        int underlayMtu = underlayIndex == 0 ? 1500
                : host.links().byIndex(underlayIndex).map(Link::mtu).orElse(1500);
        return underlayMtu - 50 - tunnelOverhead;
    }

    /**
     * Removes namespaces and host-side links of networks/endpoints that are not wanted any more
     * (left by a crash between a Docker call and its persistence, or by a deleted network).
     */
    public synchronized void removeStrays(Set<Integer> wantedVnis, Set<String> wantedEndpointIds) {
        try (Stream<Path> files = Files.exists(netnsDir) ? Files.list(netnsDir) : Stream.empty()) {
            files.forEach(p -> {
                String f = p.getFileName().toString();
                if (f.startsWith("vni-")) {
                    int vni = Integer.parseInt(f.substring(4));
                    if (!wantedVnis.contains(vni)) {
                        LOG.info("removing stray network namespace {}", p);
                        removeNetwork(vni);
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> wantedOuter = new java.util.HashSet<>();
        wantedEndpointIds.forEach(id -> wantedOuter.add(containerIfName(id)));
        for (Link l : host.links().list()) {
            String name = l.name();
            if (name != null && name.startsWith("jwc") && !wantedOuter.contains(name)) {
                LOG.info("removing stray endpoint link {}", name);
                host.links().deleteIfExists(name);
            } else if (name != null && name.startsWith("jwvx-")) {
                LOG.info("removing stray vxlan device {} from the host namespace", name);
                host.links().deleteIfExists(name);
            }
        }
        for (Map.Entry<Integer, NetworkNs> e : networks.entrySet()) {
            for (Link l : e.getValue().handle().links().list()) {
                String name = l.name();
                if (name != null && name.startsWith("jwp") && wantedEndpointIds.stream()
                        .noneMatch(id -> bridgePortName(id).equals(name))) {
                    LOG.info("network vni {}: removing stray bridge port {}", e.getKey(), name);
                    e.getValue().handle().links().deleteIfExists(name);
                }
            }
        }
    }

    /**
     * rtnetlink inside network {@code vni}'s namespace and the ifindex of its VXLAN device there,
     * for the peer reconciler; empty if this host has no datapath for that network.
     */
    public synchronized Optional<VxlanPort> vxlanPort(int vni) {
        NetworkNs n = networks.get(vni);
        if (n == null) {
            return Optional.empty();
        }
        return n.handle().links().byName(vxlanName(vni)).map(l -> new VxlanPort(vni, n.handle(), l.index()));
    }

    /** A network's VXLAN device: the handle of its namespace and its ifindex. */
    public record VxlanPort(int vni, Handle handle, int ifindex) {
    }

    /**
     * Network {@code vni}'s namespace and rtnetlink inside it, for services that live there (the DNS
     * listener); empty if this host has no datapath for that network. The objects are the datapath's:
     * do not close them; a different {@code ns} object for the same VNI means the namespace was recreated.
     */
    public synchronized Optional<NetworkNamespace> namespace(int vni) {
        NetworkNs n = networks.get(vni);
        return n == null ? Optional.empty() : Optional.of(new NetworkNamespace(vni, n.ns(), n.handle()));
    }

    /** A network's namespace and the handle of rtnetlink in it. */
    public record NetworkNamespace(int vni, NetNs ns, Handle handle) {
    }

    /** VNIs of the networks that have a datapath on this host. */
    public synchronized Set<Integer> vnis() {
        return Set.copyOf(networks.keySet());
    }

    private NetworkNs openOrCreateNs(int vni) {
        NetworkNs n = networks.get(vni);
        if (n != null) {
            return n;
        }
        Path p = nsPath(vni);
        NetNs ns;
        try {
            Files.createDirectories(netnsDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + netnsDir, e);
        }
        if (Files.exists(p)) {
            try {
                ns = NetNs.open(p);
                ns.call(() -> null); // proves it is a live namespace (not a file left by a reboot)
            } catch (RuntimeException e) {
                LOG.warn("network vni {}: namespace file {} is not a live namespace ({}); recreating", vni, p, e.getMessage());
                NetNs.delete(p);
                ns = NetNs.create(p);
            }
        } else {
            ns = NetNs.create(p);
            LOG.info("network vni {}: created namespace {}", vni, p);
        }
        n = new NetworkNs(ns, Handle.open(ns));
        networks.put(vni, n);
        return n;
    }

    @Override
    public synchronized void close() {
        for (NetworkNs n : networks.values()) {
            n.handle().close();
            n.ns().close();
        }
        networks.clear();
    }
}
