package io.jweave.netlink.nft;

import io.jweave.netlink.nl.Nft;

/** The netfilter hook of a base chain. */
public enum NftHook {
    PREROUTING(Nft.NF_INET_PRE_ROUTING), INPUT(Nft.NF_INET_LOCAL_IN), FORWARD(Nft.NF_INET_FORWARD),
    OUTPUT(Nft.NF_INET_LOCAL_OUT), POSTROUTING(Nft.NF_INET_POST_ROUTING);

    private final int code;

    NftHook(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
