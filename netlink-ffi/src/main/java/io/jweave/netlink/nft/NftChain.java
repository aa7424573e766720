package io.jweave.netlink.nft;

import java.util.List;

/**
 * A base chain: attached to {@code hook} at {@code priority} (lower runs first; 0 is nft's
 * "filter"), of {@code type}, with a {@code policy} for packets no rule decided, and its rules in order.
 */
public record NftChain(String name, Type type, NftHook hook, int priority, NftVerdict policy, List<NftRule> rules) {

    /** The chain types of nf_tables ({@code NFTA_CHAIN_TYPE}). */
    public enum Type {
        FILTER("filter"), NAT("nat"), ROUTE("route");

        private final String keyword;

        Type(String keyword) {
            this.keyword = keyword;
        }

        public String keyword() {
            return keyword;
        }
    }

    public NftChain {
        NftTable.checkName("chain", name);
        rules = List.copyOf(rules);
    }

    /** {@code type filter hook HOOK priority P; policy accept;} with {@code rules}. */
    public static NftChain filter(String name, NftHook hook, int priority, List<NftRule> rules) {
        return new NftChain(name, Type.FILTER, hook, priority, NftVerdict.ACCEPT, rules);
    }
}
