package io.jweave.netlink.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.nl.Nft;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The nf_tables encoding, without a kernel: rules decode back to what was encoded. */
class NftCodecTest {

    private static NlMsg roundTrip(NlRequest r) {
        byte[] buf = new byte[r.length() + 8];
        int len = r.writeTo(buf, 0, 7);
        List<NlMsg> msgs = NlMsg.parseAll(buf, len);
        assertEquals(1, msgs.size());
        return msgs.get(0);
    }

    @Test
    void ruleRoundTrip() {
        NftRule rule = NftRule.of("drop-plaintext-vxlan", NftVerdict.DROP, NftMatch.iifnameNot("tun0"),
                NftMatch.iifname("lo"), NftMatch.udp(), NftMatch.dport(4789), NftMatch.sport(6783));
        NlMsg m = roundTrip(NftCodec.rule(NftFamily.INET, "jweave", "input", rule));
        assertEquals(Nft.type(Nft.NFT_MSG_NEWRULE), m.type());
        assertEquals(NftFamily.INET.code(), m.payload().u8(0));
        NftRuleState s = NftCodec.decodeRule(m);
        assertEquals(rule, s.rule());
        assertEquals("input", s.chain());
        NftRule bare = new NftRule(null, List.of(NftMatch.tcp()), false, null);
        assertEquals(bare, NftCodec.decodeRule(roundTrip(NftCodec.rule(NftFamily.IPV4, "t", "c", bare))).rule());
    }

    @Test
    void portsAreBigEndianAndCommentsAreNftUserData() {
        NftRule rule = new NftRule("ab", List.of(NftMatch.dport(0x12b5)), false, null);
        byte[] buf = new byte[1024];
        int len = NftCodec.rule(NftFamily.INET, "t", "c", rule).writeTo(buf, 0, 1);
        byte[] all = Arrays.copyOf(buf, len);
        assertTrue(indexOf(all, new byte[] {6, 0, 1, 0, 0x12, (byte) 0xb5}) > 0, "cmp data 0x12b5 in network order");
        assertTrue(indexOf(all, new byte[] {0, 3, 'a', 'b', 0}) > 0, "comment TLV type 0, length 3, NUL-terminated");
    }

    @Test
    void invalidNamesAreRefusedBeforeAnythingIsSent() {
        assertThrows(IllegalArgumentException.class, () -> NftMatch.iifname("a-much-too-long-name"));
        assertThrows(IllegalArgumentException.class, () -> new NftTable(NftFamily.INET, "", List.of()));
        assertThrows(IllegalArgumentException.class, () -> NftMatch.dport(70000));
        assertThrows(IllegalArgumentException.class, () -> NftRule.of("x".repeat(200), NftVerdict.DROP));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
