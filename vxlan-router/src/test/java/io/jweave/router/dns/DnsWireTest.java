package io.jweave.router.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The query parser alone: what it accepts, and what it refuses without reading out of bounds. */
class DnsWireTest {

    private static DnsWire.Verdict parse(byte[] m, DnsWire.Query q) {
        ByteBuf b = Unpooled.buffer().writeBytes(new byte[] {9, 9, 9}).writeBytes(m); // non-zero reader index
        b.readerIndex(3);
        return DnsWire.parse(b, q);
    }

    @Test
    void plainQueryWithEdns() {
        DnsWire.Query q = new DnsWire.Query();
        assertEquals(DnsWire.Verdict.OK, parse(DnsTestKit.query(0x1234, "Web.JWeave.Local.", 28, 1400), q));
        assertEquals(0x1234, q.id);
        assertEquals("web.jweave.local", q.name);
        assertTrue(q.plain);
        assertEquals(28, q.qtype);
        assertEquals(1, q.qclass);
        assertEquals(1400, q.ednsSize);
        assertEquals(1232, q.udpLimit());
        assertEquals(12 + 18 + 4, q.questionEnd);
        // the same object parses the next query from scratch
        assertEquals(DnsWire.Verdict.OK, parse(DnsTestKit.query(1, "x", 1), q));
        assertEquals(-1, q.ednsSize);
        assertEquals(512, q.udpLimit());
    }

    @Test
    void rootAndOddLabels() {
        DnsWire.Query q = new DnsWire.Query();
        assertEquals(DnsWire.Verdict.OK, parse(DnsTestKit.query(1, ".", 2), q));
        assertEquals("", q.name);
        byte[] odd = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1};
        assertEquals(DnsWire.Verdict.OK, parse(odd, q));
        assertFalse(q.plain, "a dot inside a label");
        byte[] binary = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, (byte) 0xC3, (byte) 0xA9, 0, 0, 1, 0, 1};
        assertEquals(DnsWire.Verdict.OK, parse(binary, q));
        assertFalse(q.plain, "bytes outside printable ASCII");
    }

    @Test
    void refusals() {
        DnsWire.Query q = new DnsWire.Query();
        byte[] ok = DnsTestKit.query(7, "web", 1);
        assertEquals(DnsWire.Verdict.DROP, parse(new byte[11], q));
        byte[] resp = ok.clone();
        resp[2] |= (byte) 0x80;
        assertEquals(DnsWire.Verdict.DROP, parse(resp, q));
        byte[] update = ok.clone();
        update[2] = (byte) (5 << 3);
        assertEquals(DnsWire.Verdict.NOTIMP, parse(update, q));
        byte[] two = ok.clone();
        two[5] = 2;
        assertEquals(DnsWire.Verdict.FORMERR, parse(two, q));
        // a 64-byte label is not a label (0x40 is an extended label type)
        byte[] ext = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 'a', 0, 0, 1, 0, 1};
        assertEquals(DnsWire.Verdict.FORMERR, parse(ext, q));
        // a name over 255 bytes
        StringBuilder longName = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            longName.append("a".repeat(60)).append('.');
        }
        assertEquals(DnsWire.Verdict.FORMERR, parse(DnsTestKit.query(1, longName.toString(), 1), q));
        // an answer record in the query that runs past the end
        byte[] an = java.util.Arrays.copyOf(ok, ok.length + 5);
        an[7] = 1;
        assertEquals(DnsWire.Verdict.FORMERR, parse(an, q));
        // every prefix of a valid EDNS query is refused, none throws
        byte[] e = DnsTestKit.query(7, "web.jweave.local", 1, 1232);
        for (int n = 0; n < e.length; n++) {
            DnsWire.Verdict v = parse(java.util.Arrays.copyOf(e, n), q);
            assertTrue(v == DnsWire.Verdict.DROP || v == DnsWire.Verdict.FORMERR, n + " bytes: " + v);
        }
    }

    @Test
    void encodeNameAndReverse() {
        assertArrayEquals(new byte[] {3, 'w', 'e', 'b', 1, 'x', 0}, DnsWire.encodeName("web.x."));
        assertArrayEquals(new byte[] {0}, DnsWire.encodeName(""));
        assertNull(DnsWire.encodeName("a..b"));
        assertNull(DnsWire.encodeName("a".repeat(64)));
        assertEquals("100.64.1.2", Answerer.reverse("2.1.64.100.in-addr.arpa").getHostAddress());
        assertNull(Answerer.reverse("1.64.100.in-addr.arpa"));
        assertNull(Answerer.reverse("5.2.1.64.100.in-addr.arpa"));
        assertNull(Answerer.reverse("256.1.64.100.in-addr.arpa"));
        assertNull(Answerer.reverse("x.1.64.100.in-addr.arpa"));
        assertNull(Answerer.reverse("2..64.100.in-addr.arpa"));
    }

    @Test
    void mutatedQueriesNeverThrowAndEveryAnswerDecodes() {
        DnsTestKit.MemoryRegistry registry = new DnsTestKit.MemoryRegistry();
        registry.add("blue", "web.jweave.local", "100.64.1.2", "100.64.1.3");
        Answerer answerer = new Answerer(DnsServerConfig.of("jweave.local", 5, java.util.List.of()), registry, new DnsStats());
        byte[][] seeds = {DnsTestKit.query(1, "web.jweave.local", 1, 1232), DnsTestKit.query(2, "web", 1),
            DnsTestKit.query(3, "3.1.64.100.in-addr.arpa", 12), DnsTestKit.query(4, "nx.jweave.local", 28)};
        java.util.Random rnd = new java.util.Random(7);
        DnsWire.Query q = new DnsWire.Query();
        int answered = 0;
        for (int i = 0; i < 100_000; i++) {
            byte[] m = seeds[i % seeds.length].clone();
            int flips = 1 + rnd.nextInt(4);
            for (int f = 0; f < flips; f++) {
                m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
            }
            if (rnd.nextInt(8) == 0) {
                m = java.util.Arrays.copyOf(m, rnd.nextInt(m.length + 8));
            }
            ByteBuf b = Unpooled.wrappedBuffer(m);
            if (DnsWire.parse(b, q) != DnsWire.Verdict.OK) {
                continue;
            }
            int prefix = (i & 1) * 2;
            ByteBuf out = answerer.answer(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, b, q, "blue",
                    DnsTestKit.ip("127.0.0.1"), prefix, prefix == 2 ? 65535 : q.udpLimit());
            if (out == null) {
                continue; // would be forwarded
            }
            answered++;
            byte[] r = new byte[out.readableBytes() - prefix];
            out.getBytes(prefix, r);
            if (prefix == 2) {
                assertEquals(r.length, out.getUnsignedShort(0));
            } else {
                assertTrue(r.length <= q.udpLimit());
            }
            out.release();
            assertEquals(q.id, DnsWire.u16(r, 0));
            assertTrue((r[2] & 0x80) != 0, "QR");
            if (q.plain) { // netty's decoder refuses names with bytes outside ASCII (IDN), the echoed question may hold some
                assertEquals(q.id, DnsTestKit.decode(r).id(), "answer to mutated query " + java.util.HexFormat.of().formatHex(m));
            }
        }
        assertTrue(answered > 1000, "only " + answered + " mutated queries were answered locally");
    }
}
