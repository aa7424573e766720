package io.jweave.netlink.nft;

import io.jweave.netlink.nl.Nft;

/** The address family of an nftables table: {@code inet} sees IPv4 and IPv6. */
public enum NftFamily {
    INET(Nft.NFPROTO_INET, "inet"), IPV4(Nft.NFPROTO_IPV4, "ip"), IPV6(Nft.NFPROTO_IPV6, "ip6");

    private final int code;
    private final String keyword;

    NftFamily(int code, String keyword) {
        this.code = code;
        this.keyword = keyword;
    }

    public int code() {
        return code;
    }

    /** As nft(8) writes it: inet, ip, ip6. */
    public String keyword() {
        return keyword;
    }
}
