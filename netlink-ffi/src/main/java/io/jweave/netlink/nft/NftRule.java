package io.jweave.netlink.nft;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A rule: its conditions, an optional counter, and a verdict (null: none, the packet goes on to
 * the next rule). {@code comment} names it (nft shows it as {@code comment "..."}; it travels as
 * the rule's user data) and is how rules are told apart when read back. The same record is read back.
 *
 * <pre>
 * NftRule.of("drop-plaintext-vxlan", NftVerdict.DROP,
 *         NftMatch.iifnameNot("tun0"), NftMatch.iifnameNot("lo"), NftMatch.udp(), NftMatch.dport(4789))
 * // iifname != "tun0" iifname != "lo" meta l4proto udp th dport 4789 counter drop comment "drop-plaintext-vxlan"
 * </pre>
 */
public record NftRule(String comment, List<NftMatch> matches, boolean counter, NftVerdict verdict) {
    /** Longest comment: nft's own limit (the user data TLV holds 255 bytes, NUL included). */
    public static final int MAX_COMMENT_BYTES = 128;

    public NftRule {
        matches = List.copyOf(matches);
        if (comment != null && comment.getBytes(StandardCharsets.UTF_8).length > MAX_COMMENT_BYTES) {
            throw new IllegalArgumentException("rule comment \"" + comment + "\" is longer than "
                    + MAX_COMMENT_BYTES + " bytes");
        }
        if (comment != null && comment.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("rule comment contains NUL");
        }
    }

    /** A counted rule with a verdict. */
    public static NftRule of(String comment, NftVerdict verdict, NftMatch... matches) {
        return new NftRule(comment, List.of(matches), true, verdict);
    }

    public NftRule withoutCounter() {
        return new NftRule(comment, matches, false, verdict);
    }
}
