package io.jweave.netlink.nft;

/**
 * A rule as read back from the kernel: its handle, chain, the rule itself, and its counter
 * ({@code packets}, {@code bytes}; both 0 when it has none).
 */
public record NftRuleState(long handle, String chain, NftRule rule, long packets, long bytes) {

    public String comment() {
        return rule.comment();
    }
}
