package io.jweave.capture;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic pcap file format (what {@code tcpdump -w} writes and {@code tcpdump -r} and Wireshark
 * read): a 24-byte global header, then per frame a 16-byte record header and the bytes kept.
 * Written little-endian with microsecond timestamps; read in either byte order, with microsecond
 * or nanosecond timestamps.
 */
public final class Pcap {
    /** Magic of a file with microsecond timestamps. */
    public static final int MAGIC_MICROS = 0xa1b2c3d4;
    /** Magic of a file with nanosecond timestamps. */
    public static final int MAGIC_NANOS = 0xa1b23c4d;
    public static final int GLOBAL_HEADER_LENGTH = 24;
    public static final int RECORD_HEADER_LENGTH = 16;
    /** LINKTYPE_ETHERNET. */
    public static final int LINKTYPE_ETHERNET = 1;
    /** A record longer than this is taken for a corrupt stream (libpcap's own maximum snap length). */
    public static final int MAX_RECORD = 262_144;

    private Pcap() {
    }

    /** The global header: version 2.4, no time zone offset, {@code snaplen}, {@code linkType}. */
    public static byte[] globalHeader(int snaplen, int linkType) {
        ByteBuffer b = ByteBuffer.allocate(GLOBAL_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(snaplen).putInt(linkType);
        return b.array();
    }

    /** One record header: when (seconds and microseconds since the epoch), bytes kept, length on the wire. */
    public static byte[] recordHeader(long epochSeconds, int micros, int keptLength, int wireLength) {
        if (micros < 0 || micros >= 1_000_000) {
            throw new IllegalArgumentException("microseconds out of range: " + micros);
        }
        ByteBuffer b = ByteBuffer.allocate(RECORD_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) epochSeconds).putInt(micros).putInt(keptLength).putInt(Math.max(wireLength, keptLength));
        return b.array();
    }

    /** Writes one record (header and data). */
    public static void writeRecord(OutputStream out, long epochSeconds, int micros, byte[] data, int wireLength)
            throws IOException {
        out.write(recordHeader(epochSeconds, micros, data.length, wireLength));
        out.write(data);
    }

    /** The global header of a stream, as read. */
    public record Header(ByteOrder order, boolean nanos, int snaplen, int linkType, byte[] raw) {
    }

    /** One record: time (seconds and micro- or nanoseconds, as the header says), data, wire length, and its raw bytes. */
    public record Record(long seconds, int fraction, byte[] data, int wireLength, byte[] raw) {
    }

    /**
     * Reads a pcap stream record by record. {@link #next()} returns a whole record or null at the
     * end of the stream between records; a stream that ends inside a record throws {@link EOFException}.
     */
    public static final class Reader {
        private final InputStream in;
        private Header header;

        public Reader(InputStream in) {
            this.in = in;
        }

        /** The global header (read on the first call); {@link EOFException} if the stream ends before it. */
        public Header header() throws IOException {
            if (header == null) {
                byte[] raw = readFully(GLOBAL_HEADER_LENGTH, "the pcap global header");
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                int magic = b.getInt(0);
                ByteOrder order = ByteOrder.LITTLE_ENDIAN;
                if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
                    b.order(ByteOrder.BIG_ENDIAN);
                    magic = b.getInt(0);
                    order = ByteOrder.BIG_ENDIAN;
                    if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
                        throw new IOException("not a pcap stream (magic " + String.format("%08x", b.getInt(0)) + ")");
                    }
                }
                header = new Header(order, magic == MAGIC_NANOS, b.getInt(16), b.getInt(20), raw);
            }
            return header;
        }

        /** The next record, or null at the end of the stream. */
        public Record next() throws IOException {
            Header h = header();
            byte[] rh = new byte[RECORD_HEADER_LENGTH];
            int n = in.readNBytes(rh, 0, rh.length);
            if (n == 0) {
                return null;
            }
            if (n < rh.length) {
                throw new EOFException("the pcap stream ends inside a record header (" + n + " of " + rh.length + " bytes)");
            }
            ByteBuffer b = ByteBuffer.wrap(rh).order(h.order());
            long sec = Integer.toUnsignedLong(b.getInt(0));
            int frac = b.getInt(4);
            int kept = b.getInt(8);
            int wire = b.getInt(12);
            if (kept < 0 || kept > Math.max(MAX_RECORD, h.snaplen())) {
                throw new IOException("corrupt pcap stream: a record of " + Integer.toUnsignedString(kept) + " bytes");
            }
            byte[] data = readFully(kept, "a record of " + kept + " bytes");
            byte[] raw = new byte[rh.length + kept];
            System.arraycopy(rh, 0, raw, 0, rh.length);
            System.arraycopy(data, 0, raw, rh.length, kept);
            return new Record(sec, frac, data, wire, raw);
        }

        private byte[] readFully(int len, String what) throws IOException {
            byte[] out = new byte[len];
            int n = in.readNBytes(out, 0, len);
            if (n < len) {
                throw new EOFException("the pcap stream ends inside " + what + " (" + n + " of " + len + " bytes)");
            }
            return out;
        }
    }
}
