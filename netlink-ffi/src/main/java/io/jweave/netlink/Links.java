package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlAttrs;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import io.jweave.netlink.sys.Errno;
import io.jweave.netlink.sys.Sys;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Links: create, delete, change, look up and dump (RTM_*LINK). */
public final class Links {
    private final NetlinkSocket sock;
    private final NetNs namespace;

    Links(NetlinkSocket sock, NetNs namespace) {
        this.sock = sock;
        this.namespace = namespace;
    }

    /** Creates the link; fails with EEXIST if a link of that name exists. Returns it as read back. */
    public Link add(LinkSpec spec) {
        String op = "create " + spec.type().kind() + " \"" + spec.name() + "\"";
        byte[] name = checkName(op, spec.name());
        if (spec.mtu() < 0) {
            throw NetlinkException.refused(op, Errno.EINVAL, "MTU " + spec.mtu() + " is negative");
        }
        if (spec.type() instanceof LinkType.Tap) {
            createTap(op, spec.name());
            if (spec.mtu() > 0) {
                setMtu(spec.name(), spec.mtu());
            }
            if (spec.mac() != null) {
                setMac(spec.name(), spec.mac());
            }
            if (spec.master() != null) {
                setMaster(spec.name(), spec.master());
            }
            return require(op, spec.name());
        }
        int masterIndex = spec.master() == null ? 0 : require(op, spec.master()).index();
        NlRequest r = new NlRequest(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        ifinfomsg(r, 0, 0, 0);
        r.attr(IFLA_IFNAME, nul(name));
        if (spec.mtu() > 0) {
            r.attrU32(IFLA_MTU, spec.mtu());
        }
        if (spec.mac() != null) {
            r.attr(IFLA_ADDRESS, spec.mac().bytes());
        }
        if (masterIndex != 0) {
            r.attrU32(IFLA_MASTER, masterIndex);
        }
        r.beginNest(IFLA_LINKINFO);
        r.attrString(IFLA_INFO_KIND, spec.type().kind());
        if (spec.type() instanceof LinkType.Veth v) {
            byte[] peer = checkName(op, v.peerName());
            r.beginNest(IFLA_INFO_DATA).beginNest(VETH_INFO_PEER);
            ifinfomsg(r, 0, 0, 0);
            r.attr(IFLA_IFNAME, nul(peer));
            if (spec.mtu() > 0) {
                r.attrU32(IFLA_MTU, spec.mtu());
            }
            if (v.peerNamespace() != null) {
                r.attrU32(IFLA_NET_NS_FD, v.peerNamespace().fd());
            }
            r.endNest().endNest();
        } else if (spec.type() instanceof LinkType.Vxlan x) {
            r.beginNest(IFLA_INFO_DATA);
            r.attrU32(IFLA_VXLAN_ID, x.vni());
            if (x.local() != null) {
                if (x.local() instanceof Inet4Address) {
                    r.attr(IFLA_VXLAN_LOCAL, x.local().getAddress());
                } else {
                    r.attr(IFLA_VXLAN_LOCAL6, x.local().getAddress());
                }
            }
            if (x.underlayIndex() > 0) {
                r.attrU32(IFLA_VXLAN_LINK, x.underlayIndex());
            }
            r.attrBe16(IFLA_VXLAN_PORT, x.port());
            r.attrU8(IFLA_VXLAN_LEARNING, x.learning() ? 1 : 0);
            r.attrU8(IFLA_VXLAN_PROXY, x.proxy() ? 1 : 0);
            r.attrU8(IFLA_VXLAN_L2MISS, x.l2miss() ? 1 : 0);
            r.attrU8(IFLA_VXLAN_L3MISS, x.l3miss() ? 1 : 0);
            r.attrU8(IFLA_VXLAN_TTL, x.ttl());
            if (x.sourcePorts() != null) {
                // struct ifla_vxlan_port_range {__be16 low, high}; the kernel hashes flows into [low, high)
                // and takes low when they are equal
                int lo = x.sourcePorts().start();
                int hi = x.sourcePorts().end();
                r.attr(IFLA_VXLAN_PORT_RANGE, new byte[] {(byte) (lo >>> 8), (byte) lo, (byte) (hi >>> 8), (byte) hi});
            }
            r.endNest();
        }
        r.endNest();
        sock.execute(r, op);
        return require(op, spec.name());
    }

    /** Deletes a link by name; a veth takes its peer with it. */
    public void delete(String name) {
        String op = "delete link \"" + name + "\"";
        checkName(op, name);
        NlRequest r = new NlRequest(RTM_DELLINK, 0);
        ifinfomsg(r, 0, 0, 0);
        r.attr(IFLA_IFNAME, nul(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        sock.execute(r, op);
    }

    /** Deletes a link if it exists; returns whether it did. */
    public boolean deleteIfExists(String name) {
        try {
            delete(name);
            return true;
        } catch (NetlinkException e) {
            if (e.isNotFound()) {
                return false;
            }
            throw e;
        }
    }

    public void setUp(String name) {
        setFlags(name, "set link \"" + name + "\" up", IFF_UP, IFF_UP);
    }

    public void setDown(String name) {
        setFlags(name, "set link \"" + name + "\" down", 0, IFF_UP);
    }

    private void setFlags(String name, String op, int flags, int change) {
        int idx = require(op, name).index();
        NlRequest r = new NlRequest(RTM_NEWLINK, 0);
        ifinfomsg(r, idx, flags, change);
        sock.execute(r, op);
    }

    public void setMtu(String name, int mtu) {
        String op = "set mtu " + mtu + " on link \"" + name + "\"";
        if (mtu <= 0) {
            throw NetlinkException.refused(op, Errno.EINVAL, "MTU must be positive");
        }
        change(op, name, r -> r.attrU32(IFLA_MTU, mtu));
    }

    public void setMac(String name, MacAddress mac) {
        change("set address " + mac + " on link \"" + name + "\"", name, r -> r.attr(IFLA_ADDRESS, mac.bytes()));
    }

    public void rename(String name, String newName) {
        String op = "rename link \"" + name + "\" to \"" + newName + "\"";
        byte[] nn = checkName(op, newName);
        change(op, name, r -> r.attr(IFLA_IFNAME, nul(nn)));
    }

    public void setMaster(String name, String master) {
        String op = "set master of link \"" + name + "\" to \"" + master + "\"";
        int m = require(op, master).index();
        change(op, name, r -> r.attrU32(IFLA_MASTER, m));
    }

    public void setNoMaster(String name) {
        change("remove master of link \"" + name + "\"", name, r -> r.attrU32(IFLA_MASTER, 0));
    }

    /** Moves the link into the namespace {@code target} (by its file descriptor). */
    public void moveTo(String name, NetNs target) {
        String op = "move link \"" + name + "\" to namespace " + target;
        if (target.isClosed()) {
            throw NetlinkException.refused(op, Errno.EBADF, "the handle on namespace " + target + " is closed");
        }
        int fd = target.fd();
        change(op, name, r -> r.attrU32(IFLA_NET_NS_FD, fd));
    }

    /** Moves the link into the network namespace of process {@code pid}. */
    public void moveToPid(String name, int pid) {
        change("move link \"" + name + "\" to the namespace of pid " + pid, name, r -> r.attrU32(IFLA_NET_NS_PID, pid));
    }

    private void change(String op, String name, java.util.function.Consumer<NlRequest> attrs) {
        int idx = require(op, name).index();
        NlRequest r = new NlRequest(RTM_NEWLINK, 0);
        ifinfomsg(r, idx, 0, 0);
        attrs.accept(r);
        sock.execute(r, op);
    }

    public Optional<Link> byName(String name) {
        String op = "get link \"" + name + "\"";
        byte[] n = checkName(op, name);
        NlRequest r = new NlRequest(RTM_GETLINK, 0);
        ifinfomsg(r, 0, 0, 0);
        r.attr(IFLA_IFNAME, nul(n));
        return getOne(r, op);
    }

    public Optional<Link> byIndex(int index) {
        NlRequest r = new NlRequest(RTM_GETLINK, 0);
        ifinfomsg(r, index, 0, 0);
        return getOne(r, "get link #" + index);
    }

    private Optional<Link> getOne(NlRequest r, String op) {
        try {
            List<NlMsg> reply = sock.query(r, op);
            return reply.stream().filter(m -> m.type() == RTM_NEWLINK).findFirst().map(Links::parse);
        } catch (NetlinkException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Every link in the namespace, with kind and attributes. */
    public List<Link> list() {
        NlRequest r = new NlRequest(RTM_GETLINK, 0);
        ifinfomsg(r, 0, 0, 0);
        List<Link> out = new ArrayList<>();
        for (NlMsg m : sock.dump(r, "list links")) {
            if (m.type() == RTM_NEWLINK) {
                out.add(parse(m));
            }
        }
        return out;
    }

    Link require(String op, String name) {
        return byName(name).orElseThrow(() -> NetlinkException.refused(op, Errno.ENODEV,
                "no link named \"" + name + "\"" + (namespace == null ? "" : " in " + namespace)));
    }

    /** Decodes an RTM_NEWLINK message. */
    static Link parse(NlMsg m) {
        var p = m.payload();
        if (p.length() < IFINFOMSG_LEN) {
            throw new io.jweave.netlink.nl.NetlinkProtocolException("RTM_NEWLINK with a " + p.length() + "-byte header");
        }
        int index = p.u32(4);
        int flags = p.u32(8);
        NlAttrs a = m.attrs(IFINFOMSG_LEN);
        String name = a.string(IFLA_IFNAME);
        byte[] mac = a.bytes(IFLA_ADDRESS);
        NlAttrs info = a.nested(IFLA_LINKINFO);
        LinkType type = new LinkType.Other("");
        if (info != null && info.has(IFLA_INFO_KIND)) {
            String kind = info.string(IFLA_INFO_KIND);
            NlAttrs data = info.nested(IFLA_INFO_DATA);
            type = switch (kind) {
                case "bridge" -> new LinkType.Bridge();
                case "veth" -> new LinkType.Veth(null, null);
                case "tun" -> new LinkType.Tap();
                case "vxlan" -> parseVxlan(data);
                default -> new LinkType.Other(kind);
            };
        }
        return new Link(index, name, type, a.u32(IFLA_MTU, 0), mac != null && mac.length == 6 ? new MacAddress(mac) : null,
                flags, a.u32(IFLA_MASTER, 0), a.u32(IFLA_LINK, 0), a.has(IFLA_OPERSTATE) ? a.u8(IFLA_OPERSTATE) : 0);
    }

    private static LinkType parseVxlan(NlAttrs d) {
        if (d == null) {
            return new LinkType.Other("vxlan");
        }
        InetAddress local = d.has(IFLA_VXLAN_LOCAL) ? d.inet(IFLA_VXLAN_LOCAL) : d.inet(IFLA_VXLAN_LOCAL6);
        return new LinkType.Vxlan(d.u32(IFLA_VXLAN_ID, 0), local,
                d.has(IFLA_VXLAN_PORT) ? d.be16(IFLA_VXLAN_PORT) : 0,
                flag(d, IFLA_VXLAN_LEARNING), flag(d, IFLA_VXLAN_PROXY), flag(d, IFLA_VXLAN_L2MISS),
                flag(d, IFLA_VXLAN_L3MISS), d.has(IFLA_VXLAN_TTL) ? d.u8(IFLA_VXLAN_TTL) : 0,
                d.u32(IFLA_VXLAN_LINK, 0), sourcePorts(d));
    }

    private static PortRange sourcePorts(NlAttrs d) {
        io.jweave.netlink.nl.Bytes b = d.get(IFLA_VXLAN_PORT_RANGE);
        if (b == null || b.length() < 4) {
            return null;
        }
        int lo = ((b.u8(0) & 0xff) << 8) | (b.u8(1) & 0xff);
        int hi = ((b.u8(2) & 0xff) << 8) | (b.u8(3) & 0xff);
        return lo == 0 && hi == 0 ? null : new PortRange(lo, hi);
    }

    private static boolean flag(NlAttrs d, int type) {
        Integer v = d.u8(type);
        return v != null && v != 0;
    }

    static void ifinfomsg(NlRequest r, int index, int flags, int change) {
        r.u8(Sys.AF_UNSPEC).u8(0).u16(0).u32(index).u32(flags).u32(change);
    }

    private static byte[] checkName(String op, String name) {
        try {
            return NlRequest.checkIfName(name);
        } catch (IllegalArgumentException e) {
            throw NetlinkException.refused(op, Errno.EINVAL, e.getMessage());
        }
    }

    private static byte[] nul(byte[] b) {
        return java.util.Arrays.copyOf(b, b.length + 1);
    }

    // --- tap: rtnetlink cannot create tun/tap devices, the tun driver's ioctl can ---
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETPERSIST = 0x400454cbL;
    private static final int IFF_TAP = 0x0002;
    private static final int IFF_NO_PI = 0x1000;

    private void createTap(String op, String name) {
        if (byName(name).isPresent()) {
            throw new NetlinkException(op, Errno.EEXIST, null);
        }
        Runnable create = () -> {
            int fd = Sys.libc().open("/dev/net/tun", Sys.O_RDWR | Sys.O_CLOEXEC, 0);
            if (fd < 0) {
                throw NetlinkException.refused(op, Sys.errno(), "cannot open /dev/net/tun");
            }
            try {
                byte[] ifr = new byte[40];
                byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                System.arraycopy(n, 0, ifr, 0, n.length);
                int fl = IFF_TAP | IFF_NO_PI;
                ifr[16] = (byte) fl;
                ifr[17] = (byte) (fl >>> 8);
                if (Sys.libc().ioctl(fd, TUNSETIFF, ifr) < 0) {
                    throw NetlinkException.refused(op, Sys.errno(), "TUNSETIFF failed");
                }
                if (Sys.libc().ioctl(fd, TUNSETPERSIST, 1L) < 0) {
                    throw NetlinkException.refused(op, Sys.errno(), "TUNSETPERSIST failed");
                }
            } finally {
                Sys.closeQuietly(fd);
            }
        };
        // /dev/net/tun creates the device in the namespace of the opening thread.
        if (namespace == null) {
            create.run();
        } else {
            namespace.run(create);
        }
    }
}
