package io.jweave.netlink;

import io.jweave.netlink.nl.Rtnl;

/**
 * A link as the kernel reports it. {@code masterIndex} is 0 when the link has no master;
 * {@code parentIndex} is {@code IFLA_LINK} (a veth's peer, possibly in another namespace).
 */
public record Link(int index, String name, LinkType type, int mtu, MacAddress mac, int flags,
                   int masterIndex, int parentIndex, int operState) {

    public boolean isUp() {
        return (flags & Rtnl.IFF_UP) != 0;
    }

    public String kind() {
        return type.kind();
    }
}
