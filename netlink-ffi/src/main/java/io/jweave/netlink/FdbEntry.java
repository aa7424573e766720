package io.jweave.netlink;

import io.jweave.netlink.nl.Rtnl;
import java.net.InetAddress;

/**
 * A bridge forwarding-database entry (AF_BRIDGE neighbour). On a VXLAN device ({@code NTF_SELF}) it
 * maps a MAC to the remote VTEP {@code dst}; on a bridge port ({@code NTF_MASTER}) it pins a MAC to
 * that port. {@code masterIndex} is the bridge when read back, 0 otherwise.
 */
public record FdbEntry(int linkIndex, MacAddress mac, InetAddress dst, int state, int flags, int masterIndex) {

    /** MAC → remote VTEP on a VXLAN device: {@code bridge fdb add MAC dev VX dst VTEP self permanent}. */
    public static FdbEntry vxlan(int vxlanIndex, MacAddress mac, InetAddress vtep) {
        return new FdbEntry(vxlanIndex, mac, vtep, Rtnl.NUD_PERMANENT, Rtnl.NTF_SELF, 0);
    }

    /** A static entry on the bridge for a port: {@code bridge fdb add MAC dev PORT master static}. */
    public static FdbEntry bridgeStatic(int portIndex, MacAddress mac) {
        return new FdbEntry(portIndex, mac, null, Rtnl.NUD_NOARP, Rtnl.NTF_MASTER, 0);
    }

    public boolean isSelf() {
        return (flags & Rtnl.NTF_SELF) != 0;
    }

    public boolean isPermanent() {
        return (state & Rtnl.NUD_PERMANENT) != 0;
    }
}
