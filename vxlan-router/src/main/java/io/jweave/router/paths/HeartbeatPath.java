package io.jweave.router.paths;

import io.jweave.netlink.FdbEntry;
import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.Link;
import io.jweave.netlink.LinkSpec;
import io.jweave.netlink.LinkType;
import io.jweave.netlink.MacAddress;
import io.jweave.netlink.Neighbour;
import io.jweave.netlink.NetNs;
import io.jweave.netlink.PortRange;
import io.jweave.netlink.Route;
import io.jweave.netlink.sys.Sys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where heartbeats travel the kernel's VXLAN path, exactly as containers' frames do: a namespace of the
 * router's own holding a VXLAN device ({@value #DEVICE}, VNI {@value #VNI}, below the networks' range) made
 * like the networks' devices (same local address and UDP port, not bound to the underlay device, so the
 * same policy rules apply), with the networks' largest MTU. Inside, the device carries this host's
 * advertise address and, per peer, a route, a permanent neighbour entry and an FDB entry to the peer's
 * VTEP, all derived from the peer's advertise address (MAC {@code 0e:6a:A:B:C:D}). The namespace keeps those
 * addresses away from the host's.
 *
 * <p>The device's source port is pinned to {@value #SOURCE_PORT}, so a policy rule can keep heartbeats on
 * the kernel path while a peer's other VXLAN traffic is routed into the tunnel ({@link FallbackRoutes}).
 */
final class HeartbeatPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatPath.class);

    static final int VNI = 4095;
    static final String DEVICE = "jwhb0";
    /** UDP port of heartbeats inside the namespace. */
    static final int PORT = 6786;
    /** The device's UDP source port (outer header). */
    static final int SOURCE_PORT = 4789;

    private final Handle host;
    private final Path nsPath;
    private final InetAddress self;
    private final int vxlanPort;
    private final int mtu;
    private NetNs ns;
    private Handle inside;
    private int ifindex;
    private final Set<InetAddress> programmed = new HashSet<>();

    HeartbeatPath(Handle host, Path nsPath, InetAddress self, int vxlanPort, int mtu) {
        this.host = host;
        this.nsPath = nsPath;
        this.self = self;
        this.vxlanPort = vxlanPort;
        this.mtu = mtu;
    }

    static MacAddress macOf(InetAddress a) {
        byte[] ip = a.getAddress();
        return new MacAddress(new byte[] {0x0e, 0x6a, ip[0], ip[1], ip[2], ip[3]});
    }

    /** Creates the namespace and the device afresh (whatever an earlier run left goes first). */
    synchronized void create() {
        removeLeftovers(host, nsPath);
        try {
            Files.createDirectories(nsPath.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + nsPath.getParent(), e);
        }
        ns = NetNs.create(nsPath);
        inside = Handle.open(ns);
        // The kernel picks source ports in [low, high) and takes its default range when low >= high:
        // [4789, 4790) pins every packet to 4789.
        LinkType.Vxlan spec = LinkType.Vxlan.of(VNI).withLocal(self).withPort(vxlanPort)
                .withSourcePorts(new PortRange(SOURCE_PORT, SOURCE_PORT + 1));
        host.links().add(new LinkSpec(DEVICE, spec).withMtu(mtu));
        host.links().moveTo(DEVICE, ns);
        inside.links().setUp("lo");
        inside.links().setMac(DEVICE, macOf(self));
        inside.addresses().add(DEVICE, new IpPrefix(self, 32));
        inside.links().setUp(DEVICE);
        ifindex = inside.links().byName(DEVICE).map(Link::index).orElseThrow();
        LOG.info("heartbeat path: vxlan {} (vni {}, source port {}, mtu {}) in namespace {}", DEVICE, VNI, SOURCE_PORT,
                mtu, nsPath);
    }

    /** The UDP socket heartbeats use, bound to this host's address inside the namespace. */
    synchronized DatagramChannel open() {
        return ns.call(() -> {
            DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
            try {
                c.bind(new InetSocketAddress(self, PORT));
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
            return c;
        });
    }

    /** Makes the namespace reach exactly these peers (their advertise addresses). */
    synchronized void peers(Set<InetAddress> wanted) {
        if (inside == null) {
            return;
        }
        for (InetAddress p : wanted) {
            if (p instanceof Inet4Address && !p.equals(self) && !programmed.contains(p)) {
                MacAddress mac = macOf(p);
                inside.fdb().replace(FdbEntry.vxlan(ifindex, mac, p));
                inside.neighbours().replace(Neighbour.permanent(ifindex, p, mac));
                inside.routes().replace(Route.connected(new IpPrefix(p, 32), ifindex).withFamily(Sys.AF_INET));
                programmed.add(p);
            }
        }
        for (InetAddress p : Set.copyOf(programmed)) {
            if (!wanted.contains(p)) {
                MacAddress mac = macOf(p);
                inside.routes().deleteIfExists(Route.connected(new IpPrefix(p, 32), ifindex).withFamily(Sys.AF_INET));
                try {
                    inside.neighbours().delete(Neighbour.permanent(ifindex, p, mac));
                    inside.fdb().delete(FdbEntry.vxlan(ifindex, mac, p));
                } catch (RuntimeException e) {
                    LOG.debug("heartbeat path: removing {}: {}", p.getHostAddress(), e.toString());
                }
                programmed.remove(p);
            }
        }
    }

    int mtu() {
        return mtu;
    }

    /** Removes the device and the namespace (nothing of it is needed while the router is down). */
    @Override
    public synchronized void close() {
        if (inside != null) {
            inside.close();
            inside = null;
        }
        if (ns != null) {
            ns.close();
            ns = null;
        }
        removeLeftovers(host, nsPath);
    }

    private static void removeLeftovers(Handle host, Path nsPath) {
        if (Files.exists(nsPath)) {
            try (NetNs old = NetNs.open(nsPath); Handle h = Handle.open(old)) {
                // The device first: a namespace is freed asynchronously, and until then its VNI is taken.
                h.links().deleteIfExists(DEVICE);
            } catch (RuntimeException e) {
                LOG.debug("heartbeat namespace {} is no live namespace: {}", nsPath, e.toString());
            }
            NetNs.delete(nsPath);
        }
        host.links().deleteIfExists(DEVICE);
    }
}
