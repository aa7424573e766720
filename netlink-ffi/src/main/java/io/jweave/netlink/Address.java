package io.jweave.netlink;

/** An address assigned to a link. */
public record Address(int linkIndex, IpPrefix prefix, String label) {
}
