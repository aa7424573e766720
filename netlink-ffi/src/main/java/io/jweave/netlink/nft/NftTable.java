package io.jweave.netlink.nft;

import io.jweave.netlink.nl.Nft;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** A table and everything in it: the unit {@link Nftables#replaceTable} writes. */
public record NftTable(NftFamily family, String name, List<NftChain> chains) {

    public NftTable {
        checkName("table", name);
        chains = List.copyOf(chains);
    }

    /** "inet jweave", for messages. */
    @Override
    public String toString() {
        return family.keyword() + " " + name;
    }

    static void checkName(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(what + " name is empty");
        }
        int n = name.getBytes(StandardCharsets.UTF_8).length;
        if (n >= Nft.NFT_NAME_MAXLEN || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " name \"" + name + "\" is " + n
                    + " bytes long or contains NUL; nf_tables allows at most " + (Nft.NFT_NAME_MAXLEN - 1));
        }
    }
}
