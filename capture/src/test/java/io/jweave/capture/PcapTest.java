package io.jweave.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.MacAddress;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pcap format as written and read here, and the filter expressions. No kernel, no libpcap. */
class PcapTest {

    @Test
    void globalHeaderIsClassicLittleEndianPcapWithMicroseconds() {
        byte[] h = Pcap.globalHeader(262_144, Pcap.LINKTYPE_ETHERNET);
        assertEquals("d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "01000000",
                HexFormat.of().formatHex(h));
    }

    @Test
    void recordsRoundTrip() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Pcap.globalHeader(65535, Pcap.LINKTYPE_ETHERNET));
        Pcap.writeRecord(out, 1_700_000_000L, 123_456, new byte[] {1, 2, 3}, 60);
        Pcap.writeRecord(out, 1_700_000_001L, 0, new byte[0], 0);
        Pcap.Reader r = new Pcap.Reader(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(ByteOrder.LITTLE_ENDIAN, r.header().order());
        assertFalse(r.header().nanos());
        assertEquals(65535, r.header().snaplen());
        assertEquals(1, r.header().linkType());
        Pcap.Record a = r.next();
        assertEquals(1_700_000_000L, a.seconds());
        assertEquals(123_456, a.fraction());
        assertArrayEquals(new byte[] {1, 2, 3}, a.data());
        assertEquals(60, a.wireLength());
        assertEquals(16 + 3, a.raw().length);
        Pcap.Record b = r.next();
        assertEquals(0, b.data().length);
        assertNull(r.next(), "end of stream between records");
    }

    @Test
    void aStreamCutInsideARecordIsAnError() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Pcap.globalHeader(65535, Pcap.LINKTYPE_ETHERNET));
        Pcap.writeRecord(out, 1, 0, new byte[100], 100);
        byte[] all = out.toByteArray();
        Pcap.Reader cutData = new Pcap.Reader(new ByteArrayInputStream(Arrays.copyOf(all, all.length - 1)));
        assertThrows(EOFException.class, cutData::next);
        Pcap.Reader cutHeader = new Pcap.Reader(new ByteArrayInputStream(Arrays.copyOf(all, 24 + 5)));
        assertThrows(EOFException.class, cutHeader::next);
        Pcap.Reader empty = new Pcap.Reader(new ByteArrayInputStream(new byte[3]));
        assertThrows(EOFException.class, empty::header);
        Pcap.Reader notPcap = new Pcap.Reader(new ByteArrayInputStream(new byte[24]));
        IOException e = assertThrows(IOException.class, notPcap::header);
        assertTrue(e.getMessage().startsWith("not a pcap stream"), e.getMessage());
    }

    @Test
    void readsBigEndianAndNanosecondFiles() throws IOException {
        byte[] h = HexFormat.of().parseHex("a1b23c4d" + "0002" + "0004" + "00000000" + "00000000" + "0000ffff" + "00000001"
                + "00000005" + "3b9ac9ff" + "00000002" + "00000002" + "abcd");
        Pcap.Reader r = new Pcap.Reader(new ByteArrayInputStream(h));
        assertEquals(ByteOrder.BIG_ENDIAN, r.header().order());
        assertTrue(r.header().nanos());
        Pcap.Record rec = r.next();
        assertEquals(5, rec.seconds());
        assertEquals(999_999_999, rec.fraction());
        assertArrayEquals(new byte[] {(byte) 0xab, (byte) 0xcd}, rec.data());
        assertNull(r.next());
    }

    @Test
    void filters() {
        assertTrue(CaptureFilter.none().isNone());
        assertEquals("icmp", CaptureFilter.bpf(" icmp ").expression());
        assertThrows(IllegalArgumentException.class, () -> CaptureFilter.bpf(" "));
        CaptureFilter macs = CaptureFilter.macs(List.of(MacAddress.parse("02:42:64:40:00:02"),
                MacAddress.parse("02-42-64-40-00-03"), MacAddress.parse("02:42:64:40:00:02")));
        assertEquals("ether host 02:42:64:40:00:02 or ether host 02:42:64:40:00:03", macs.expression());
        assertThrows(IllegalArgumentException.class, () -> CaptureFilter.macs(List.of()));
        assertEquals("(icmp) and (" + macs.expression() + ")", CaptureFilter.bpf("icmp").and(macs).expression());
        assertEquals("icmp", CaptureFilter.none().and(CaptureFilter.bpf("icmp")).expression());
        assertEquals("icmp", CaptureFilter.bpf("icmp").and(CaptureFilter.none()).expression());
    }
}
