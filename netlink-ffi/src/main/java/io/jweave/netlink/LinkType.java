package io.jweave.netlink;

import java.net.InetAddress;

/**
 * The kind of a link and its kind-specific attributes, as plain data. The same records describe a
 * link to create and a link read back from the kernel.
 */
public sealed interface LinkType permits LinkType.Bridge, LinkType.Veth, LinkType.Vxlan, LinkType.Tap,
        LinkType.Other {

    /** The kernel's name for the kind ({@code IFLA_INFO_KIND}). */
    String kind();

    /** A Linux bridge. */
    record Bridge() implements LinkType {
        @Override
        public String kind() {
            return "bridge";
        }
    }

    /**
     * A veth pair. When creating, {@code peerName} is the other end's name and {@code peerNamespace}
     * (optional) the namespace it is created in. When read back, both are null; the peer's index is
     * {@link Link#parentIndex()}.
     */
    record Veth(String peerName, NetNs peerNamespace) implements LinkType {
        public Veth(String peerName) {
            this(peerName, null);
        }

        @Override
        public String kind() {
            return "veth";
        }
    }

    /**
     * A VXLAN device. {@code port} is the UDP destination port (4789 is the IANA port);
     * {@code underlayIndex} the ifindex of the underlay device (0 for none); {@code ttl} 0 = inherit;
     * {@code sourcePorts} the UDP source ports the device picks from by flow hash, {@code start} included and
     * {@code end} excluded (null = the kernel's default, {@code ip_local_port_range}; the kernel also falls back
     * to it when start >= end). {@code (p, p + 1)} pins every packet's source port to p, which a policy rule can
     * then match.
     */
    record Vxlan(int vni, InetAddress local, int port, boolean learning, boolean proxy, boolean l2miss,
                 boolean l3miss, int ttl, int underlayIndex, PortRange sourcePorts) implements LinkType {

        public Vxlan {
            if (vni < 0 || vni > 0xFFFFFF) {
                throw new IllegalArgumentException("VXLAN VNI " + vni + " out of range 0..16777215");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("VXLAN port " + port + " out of range 0..65535");
            }
            if (ttl < 0 || ttl > 255) {
                throw new IllegalArgumentException("VXLAN TTL " + ttl + " out of range 0..255");
            }
        }

        /** A VXLAN for static entries: port 4789, learning off, everything else off. */
        public static Vxlan of(int vni) {
            return new Vxlan(vni, null, 4789, false, false, false, false, 0, 0, null);
        }

        public Vxlan withLocal(InetAddress a) {
            return new Vxlan(vni, a, port, learning, proxy, l2miss, l3miss, ttl, underlayIndex, sourcePorts);
        }

        public Vxlan withPort(int p) {
            return new Vxlan(vni, local, p, learning, proxy, l2miss, l3miss, ttl, underlayIndex, sourcePorts);
        }

        public Vxlan withLearning(boolean on) {
            return new Vxlan(vni, local, port, on, proxy, l2miss, l3miss, ttl, underlayIndex, sourcePorts);
        }

        public Vxlan withProxy(boolean on) {
            return new Vxlan(vni, local, port, learning, on, l2miss, l3miss, ttl, underlayIndex, sourcePorts);
        }

        public Vxlan withMisses(boolean l2, boolean l3) {
            return new Vxlan(vni, local, port, learning, proxy, l2, l3, ttl, underlayIndex, sourcePorts);
        }

        public Vxlan withTtl(int t) {
            return new Vxlan(vni, local, port, learning, proxy, l2miss, l3miss, t, underlayIndex, sourcePorts);
        }

        /** Source ports from {@code range.start()} up to, not including, {@code range.end()}. */
        public Vxlan withSourcePorts(PortRange range) {
            return new Vxlan(vni, local, port, learning, proxy, l2miss, l3miss, ttl, underlayIndex, range);
        }

        public Vxlan withUnderlay(int ifindex) {
            return new Vxlan(vni, local, port, learning, proxy, l2miss, l3miss, ttl, ifindex, sourcePorts);
        }

        @Override
        public String kind() {
            return "vxlan";
        }
    }

    /** A persistent tap device (created through /dev/net/tun, since rtnetlink cannot create one). */
    record Tap() implements LinkType {
        @Override
        public String kind() {
            return "tun";
        }
    }

    /** Any other kind (or none, for physical devices and loopback: empty string). */
    record Other(String kind) implements LinkType {
    }
}
