package io.jweave.netlink;

import io.jweave.netlink.nl.Rtnl;
import java.net.InetAddress;

/** A neighbour (ARP/NDP) entry: IP → MAC on a link. */
public record Neighbour(int linkIndex, InetAddress ip, MacAddress mac, int state, int flags) {

    /** A permanent entry, as programmed for remote endpoints on a VXLAN device. */
    public static Neighbour permanent(int linkIndex, InetAddress ip, MacAddress mac) {
        return new Neighbour(linkIndex, ip, mac, Rtnl.NUD_PERMANENT, 0);
    }

    public boolean isPermanent() {
        return (state & Rtnl.NUD_PERMANENT) != 0;
    }
}
