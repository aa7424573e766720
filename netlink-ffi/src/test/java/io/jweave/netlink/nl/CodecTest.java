package io.jweave.netlink.nl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The message codec, without a kernel: every malformed length is an error, never an out-of-bounds read. */
class CodecTest {

    /** A message: header (len, type, flags, seq, pid) then payload, with the length field as given. */
    private static byte[] msg(int claimedLen, int type, byte[] payload) {
        byte[] b = new byte[16 + payload.length];
        le32(b, 0, claimedLen);
        b[4] = (byte) type;
        b[5] = (byte) (type >>> 8);
        le32(b, 8, 77);
        le32(b, 12, 1234);
        System.arraycopy(payload, 0, b, 16, payload.length);
        return b;
    }

    private static void le32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    /** One attribute TLV (header + value + padding) with the length field as given. */
    private static byte[] attr(int claimedLen, int type, byte[] value) {
        byte[] b = new byte[Rtnl.align(4 + value.length)];
        b[0] = (byte) claimedLen;
        b[1] = (byte) (claimedLen >>> 8);
        b[2] = (byte) type;
        b[3] = (byte) (type >>> 8);
        System.arraycopy(value, 0, b, 4, value.length);
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }

    private static NlAttrs attrs(byte[] b) {
        return NlAttrs.parse(new Bytes(b, 0, b.length));
    }

    @Test
    void parsesBackToBackMessages() {
        byte[] one = msg(20, Rtnl.RTM_NEWLINK, new byte[] {1, 2, 3, 4});
        byte[] two = msg(16, Rtnl.NLMSG_DONE, new byte[0]);
        byte[] buf = Arrays.copyOf(concat(one, two), 100); // trailing buffer space beyond len is ignored
        List<NlMsg> m = NlMsg.parseAll(buf, one.length + two.length);
        assertEquals(2, m.size());
        assertEquals(Rtnl.RTM_NEWLINK, m.get(0).type());
        assertEquals(77, m.get(0).seq());
        assertEquals(1234, m.get(0).pid());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, m.get(0).payload().toArray());
        assertEquals(Rtnl.NLMSG_DONE, m.get(1).type());
        assertEquals(0, m.get(1).payload().length());
        assertTrue(NlMsg.parseAll(buf, 0).isEmpty());
    }

    @Test
    void messageLengthIsAlignedBetweenMessages() {
        byte[] one = concat(msg(17, Rtnl.RTM_NEWLINK, new byte[] {9, 0, 0, 0})); // 1 byte payload + 3 padding
        byte[] two = msg(16, Rtnl.NLMSG_DONE, new byte[0]);
        List<NlMsg> m = NlMsg.parseAll(concat(one, two), one.length + two.length);
        assertEquals(2, m.size());
        assertEquals(1, m.get(0).payload().length());
    }

    @Test
    void rejectsTruncatedHeader() {
        byte[] b = msg(16, Rtnl.NLMSG_DONE, new byte[0]);
        for (int len = 1; len < 16; len++) {
            int n = len;
            var e = assertThrows(NetlinkProtocolException.class, () -> NlMsg.parseAll(b, n));
            assertTrue(e.getMessage().contains("truncated netlink header"), e.getMessage());
        }
        // a complete message followed by a partial header
        byte[] two = concat(b, Arrays.copyOf(b, 8));
        assertThrows(NetlinkProtocolException.class, () -> NlMsg.parseAll(two, two.length));
    }

    @Test
    void rejectsLengthsLargerThanTheDatagramOrSmallerThanAHeader() {
        byte[] big = msg(64, Rtnl.RTM_NEWLINK, new byte[8]);
        var e = assertThrows(NetlinkProtocolException.class, () -> NlMsg.parseAll(big, big.length));
        assertTrue(e.getMessage().contains("claims length 64"), e.getMessage());
        byte[] huge = msg(-1, Rtnl.RTM_NEWLINK, new byte[8]); // 0xffffffff
        e = assertThrows(NetlinkProtocolException.class, () -> NlMsg.parseAll(huge, huge.length));
        assertTrue(e.getMessage().contains("4294967295"), e.getMessage());
        byte[] small = msg(8, Rtnl.RTM_NEWLINK, new byte[8]);
        assertThrows(NetlinkProtocolException.class, () -> NlMsg.parseAll(small, small.length));
        byte[] zero = msg(0, Rtnl.RTM_NEWLINK, new byte[0]);
        assertThrows(NetlinkProtocolException.class, () -> NlMsg.parseAll(zero, zero.length));
        // the datagram length itself must fit the buffer
        byte[] ok = msg(16, Rtnl.NLMSG_DONE, new byte[0]);
        assertThrows(NetlinkProtocolException.class, () -> NlMsg.parseAll(ok, 17));
        assertThrows(NetlinkProtocolException.class, () -> NlMsg.parseAll(ok, -1));
    }

    @Test
    void fixedHeaderLongerThanPayloadIsRejected() {
        byte[] b = msg(20, Rtnl.RTM_NEWLINK, new byte[4]);
        NlMsg m = NlMsg.parseAll(b, b.length).get(0);
        var e = assertThrows(NetlinkProtocolException.class, () -> m.attrs(Rtnl.IFINFOMSG_LEN));
        assertTrue(e.getMessage().contains("shorter than its 16-byte header"), e.getMessage());
    }

    @Test
    void parsesAttributesAndTypedValues() {
        byte[] b = concat(
                attr(8, 1, new byte[] {0x2a, 0, 0, 0}),
                attr(5, 2, new byte[] {7}),
                attr(6, 3, new byte[] {0x12, (byte) 0xb5}),
                attr(7, 4, new byte[] {'a', 'b', 0}),
                attr(8, 5, new byte[] {(byte) 198, 51, 100, 1}),
                attr(6, 6 | 0x8000, new byte[] {1, 2})); // NLA_F_NESTED bit is stripped
        NlAttrs a = attrs(b);
        assertEquals(42, a.u32(1));
        assertEquals(7, a.u8(2));
        assertEquals(0x12b5, a.be16(3));
        assertEquals(0xb512, a.u16(3));
        assertEquals("ab", a.string(4));
        assertEquals("198.51.100.1", a.inet(5).getHostAddress());
        assertTrue(a.has(6));
        assertNull(a.u32(9));
        assertEquals(5, a.u32(9, 5));
        assertNull(a.string(9));
        assertFalse(a.has(200));
        assertNull(a.get(200));
    }

    @Test
    void rejectsAttributeLengthBelowFour() {
        for (int len = 0; len < 4; len++) {
            byte[] b = attr(len, 1, new byte[4]);
            var e = assertThrows(NetlinkProtocolException.class, () -> attrs(b));
            assertTrue(e.getMessage().contains("claims length " + len), e.getMessage());
        }
    }

    @Test
    void rejectsAttributeOverrunningItsContainer() {
        byte[] b = attr(12, 1, new byte[4]); // claims 12, has 8
        assertThrows(NetlinkProtocolException.class, () -> attrs(b));
        // an attribute that would fit if the parser read past its window into the neighbouring bytes
        byte[] wide = concat(attr(12, 1, new byte[8]), new byte[16]);
        assertThrows(NetlinkProtocolException.class, () -> NlAttrs.parse(new Bytes(wide, 0, 8)));
        // a nested attribute whose inner TLV overruns the nest
        byte[] nest = concat(attr(12, 18 | 0x8000, concat(attr(16, 1, new byte[4]))));
        NlAttrs outer = attrs(nest);
        assertThrows(NetlinkProtocolException.class, () -> outer.nested(18));
    }

    @Test
    void rejectsTrailingPartialAttributeHeader() {
        for (int extra = 1; extra < 4; extra++) {
            byte[] b = Arrays.copyOf(attr(8, 1, new byte[4]), 8 + extra);
            var e = assertThrows(NetlinkProtocolException.class, () -> attrs(b));
            assertTrue(e.getMessage().contains("trailing"), e.getMessage());
        }
    }

    @Test
    void lastAttributeMayOmitItsPadding() {
        byte[] b = Arrays.copyOf(attr(5, 2, new byte[] {9}), 5);
        assertEquals(9, attrs(b).u8(2));
    }

    @Test
    void rejectsShortTypedAttributes() {
        NlAttrs a = attrs(concat(attr(6, 1, new byte[] {1, 2}), attr(5, 2, new byte[] {1}),
                attr(4, 3, new byte[0]), attr(9, 4, new byte[] {1, 2, 3, 4, 5})));
        var e = assertThrows(NetlinkProtocolException.class, () -> a.u32(1));
        assertTrue(e.getMessage().contains("has 2 bytes, need 4"), e.getMessage());
        assertThrows(NetlinkProtocolException.class, () -> a.u16(2));
        assertThrows(NetlinkProtocolException.class, () -> a.be16(2));
        assertThrows(NetlinkProtocolException.class, () -> a.u8(3));
        e = assertThrows(NetlinkProtocolException.class, () -> a.inet(4));
        assertTrue(e.getMessage().contains("5 bytes, expected 4 or 16"), e.getMessage());
        assertThrows(NetlinkProtocolException.class, () -> a.inet(1));
        assertEquals("", a.string(3));
    }

    @Test
    void bytesNeverReadOutsideTheirWindow() {
        byte[] buf = new byte[32];
        Bytes w = new Bytes(buf, 8, 8);
        assertThrows(NetlinkProtocolException.class, () -> w.u32(5));
        assertThrows(NetlinkProtocolException.class, () -> w.u8(8));
        assertThrows(NetlinkProtocolException.class, () -> w.u8(-1));
        assertThrows(NetlinkProtocolException.class, () -> w.u16(7));
        assertThrows(NetlinkProtocolException.class, () -> w.slice(4, 5));
        assertThrows(NetlinkProtocolException.class, () -> w.slice(Integer.MAX_VALUE - 1, 4));
        assertThrows(NetlinkProtocolException.class, () -> w.u32(Integer.MAX_VALUE - 1));
        assertThrows(NetlinkProtocolException.class, () -> new Bytes(buf, 30, 4));
        assertThrows(NetlinkProtocolException.class, () -> new Bytes(buf, Integer.MAX_VALUE, 2));
        assertEquals(0, w.u32(4));
        assertEquals(8, w.toArray().length);
    }

    /** Random garbage and every truncation of a real message: parse or NetlinkProtocolException, nothing else. */
    @Test
    void randomAndTruncatedInputOnlyEverFailsCleanly() {
        Random rnd = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
            if (b.length >= 4 && rnd.nextBoolean()) {
                le32(b, 0, rnd.nextInt(b.length + 8)); // plausible lengths hit the deeper paths
            }
            parseDeeply(b, b.length);
        }
        byte[] real = sampleLinkMessage();
        for (int len = 0; len <= real.length; len++) {
            byte[] t = Arrays.copyOf(real, len);
            if (len >= 4) {
                le32(t, 0, len); // header says what is there
            }
            parseDeeply(t, len);
            parseDeeply(real, len); // header claims more than there is
        }
    }

    private static void parseDeeply(byte[] b, int len) {
        try {
            for (NlMsg m : NlMsg.parseAll(b, len)) {
                NlAttrs a = m.attrs(Math.min(16, m.payload().length()));
                for (int t = 0; t < 64; t++) {
                    if (a.has(t)) {
                        a.bytes(t);
                        a.string(t);
                        try {
                            a.u32(t);
                        } catch (NetlinkProtocolException ignored) {
                            // short attribute
                        }
                        try {
                            a.nested(t);
                        } catch (NetlinkProtocolException ignored) {
                            // not a nest
                        }
                    }
                }
            }
        } catch (NetlinkProtocolException expected) {
            // fine: malformed input is reported, not read out of bounds
        }
    }

    private static byte[] sampleLinkMessage() {
        NlRequest r = new NlRequest(Rtnl.RTM_NEWLINK, 0);
        r.u8(0).u8(0).u16(0).u32(3).u32(0).u32(0);
        r.attrString(Rtnl.IFLA_IFNAME, "jvx42");
        r.attrU32(Rtnl.IFLA_MTU, 1450);
        r.beginNest(Rtnl.IFLA_LINKINFO).attrString(Rtnl.IFLA_INFO_KIND, "vxlan")
                .beginNest(Rtnl.IFLA_INFO_DATA).attrU32(Rtnl.IFLA_VXLAN_ID, 42).attrU8(Rtnl.IFLA_VXLAN_PROXY, 1)
                .endNest().endNest();
        byte[] out = new byte[r.length() + 8];
        int n = r.writeTo(out, 0, 5);
        return Arrays.copyOf(out, n);
    }

    @Test
    void nestedAttributesAndPaddingRoundTrip() throws Exception {
        NlRequest r = new NlRequest(Rtnl.RTM_NEWLINK, Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL);
        r.u8(0).u8(0).u16(0).u32(7).u32(Rtnl.IFF_UP).u32(Rtnl.IFF_UP);
        r.attrString(Rtnl.IFLA_IFNAME, "jvx-42"); // 7 bytes + NUL... 4 + 7 = 11, padded to 12
        r.attrU32(Rtnl.IFLA_MTU, 1450);
        r.beginNest(Rtnl.IFLA_LINKINFO);
        r.attrString(Rtnl.IFLA_INFO_KIND, "vxlan");
        r.beginNest(Rtnl.IFLA_INFO_DATA);
        r.attrU32(Rtnl.IFLA_VXLAN_ID, 0xabcdef);
        r.attr(Rtnl.IFLA_VXLAN_LOCAL, InetAddress.getByName("198.51.100.1").getAddress());
        r.attrU8(Rtnl.IFLA_VXLAN_LEARNING, 0);
        r.attrBe16(Rtnl.IFLA_VXLAN_PORT, 4789);
        r.attrU16(40, 0xbeef);
        r.endNest();
        r.endNest();
        r.attrU8(Rtnl.IFLA_OPERSTATE, 6); // after the nest: the nest's padding must not shift it

        byte[] buf = new byte[512];
        Arrays.fill(buf, (byte) 0x5a); // stale bytes must not leak into padding
        int len = r.writeTo(buf, 0, 99);
        assertEquals(0, len % 4, "message length is 4-aligned");
        List<NlMsg> msgs = NlMsg.parseAll(buf, len);
        assertEquals(1, msgs.size());
        NlMsg m = msgs.get(0);
        assertEquals(Rtnl.RTM_NEWLINK, m.type());
        assertEquals(Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL, m.flags());
        assertEquals(99, m.seq());
        assertEquals(7, m.payload().u32(4));
        NlAttrs a = m.attrs(Rtnl.IFINFOMSG_LEN);
        assertEquals("jvx-42", a.string(Rtnl.IFLA_IFNAME));
        assertEquals(1450, a.u32(Rtnl.IFLA_MTU));
        assertEquals(6, a.u8(Rtnl.IFLA_OPERSTATE));
        NlAttrs info = a.nested(Rtnl.IFLA_LINKINFO);
        assertEquals("vxlan", info.string(Rtnl.IFLA_INFO_KIND));
        NlAttrs data = info.nested(Rtnl.IFLA_INFO_DATA);
        assertEquals(0xabcdef, data.u32(Rtnl.IFLA_VXLAN_ID));
        assertEquals("198.51.100.1", data.inet(Rtnl.IFLA_VXLAN_LOCAL).getHostAddress());
        assertEquals(0, data.u8(Rtnl.IFLA_VXLAN_LEARNING));
        assertEquals(4789, data.be16(Rtnl.IFLA_VXLAN_PORT));
        assertArrayEquals(new byte[] {0x12, (byte) 0xb5}, data.bytes(Rtnl.IFLA_VXLAN_PORT));
        assertEquals(0xbeef, data.u16(40));

        // The nest lengths cover exactly their content, and padding bytes are zero.
        int off = 16 + 16;
        while (off < len) {
            int alen = (buf[off] & 0xff) | (buf[off + 1] & 0xff) << 8;
            for (int p = off + alen; p < off + Rtnl.align(alen); p++) {
                assertEquals(0, buf[p], "padding byte at " + p);
            }
            off += Rtnl.align(alen);
        }
        assertEquals(len, off);
        // the bytes after the message were not touched
        assertEquals(0x5a, buf[len]);
    }

    @Test
    void unclosedNestIsABug() {
        NlRequest r = new NlRequest(Rtnl.RTM_NEWLINK, 0);
        r.beginNest(Rtnl.IFLA_LINKINFO);
        assertThrows(IllegalStateException.class, () -> r.writeTo(new byte[64], 0, 1));
    }

    @Test
    void growsBeyondItsInitialBuffer() {
        NlRequest r = new NlRequest(Rtnl.RTM_NEWLINK, 0);
        byte[] big = new byte[3000];
        Arrays.fill(big, (byte) 7);
        r.attr(60, big);
        byte[] out = new byte[r.length() + 4];
        int n = r.writeTo(out, 0, 1);
        NlAttrs a = NlMsg.parseAll(out, n).get(0).attrs(0);
        assertArrayEquals(big, a.bytes(60));
    }

    @Test
    void interfaceNamesAreCheckedLikeTheKernelDoes() {
        assertEquals(15, NlRequest.checkIfName("abcdefghijklmno").length);
        var e = assertThrows(IllegalArgumentException.class, () -> NlRequest.checkIfName("abcdefghijklmnop"));
        assertTrue(e.getMessage().contains("16 bytes long; Linux allows at most 15"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NlRequest.checkIfName(""));
        assertThrows(IllegalArgumentException.class, () -> NlRequest.checkIfName("a/b"));
        assertThrows(IllegalArgumentException.class, () -> NlRequest.checkIfName("a b"));
        assertThrows(IllegalArgumentException.class, () -> NlRequest.checkIfName("a:b"));
        assertThrows(IllegalArgumentException.class, () -> NlRequest.checkIfName(".."));
        // multi-byte characters count in bytes
        assertThrows(IllegalArgumentException.class, () -> NlRequest.checkIfName("ééééééééé"));
    }
}
