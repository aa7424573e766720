package io.jweave.netlink.nft;

import io.jweave.netlink.nl.Nft;

/** What a rule (or a chain's policy) does with a packet. */
public enum NftVerdict {
    ACCEPT(Nft.NF_ACCEPT), DROP(Nft.NF_DROP);

    private final int code;

    NftVerdict(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static NftVerdict of(int code) {
        for (NftVerdict v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
