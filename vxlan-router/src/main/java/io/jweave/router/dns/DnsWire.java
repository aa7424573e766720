package io.jweave.router.dns;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;

/**
 * The DNS wire format as far as the server needs it (RFC 1035, EDNS0 from RFC 6891): a bounds-checked
 * parser of queries and writers of the few answers the server makes itself. Hand-written rather than
 * netty-codec-dns message objects because every query passes here: per query it allocates the name
 * string and nothing else of its own (the codec builds a message, a question record, an OPT record and
 * answer record objects per query: about 19.5 against 11.7 µs of CPU per query, transport included, in
 * {@code ./jweave bench dns-core}; docs/benchmarks.md). Numeric constants
 * come from netty-codec-dns, and the tests decode the server's answers with its decoder.
 */
final class DnsWire {
    static final int HEADER = 12;
    static final int TYPE_A = DnsRecordType.A.intValue();
    static final int TYPE_SOA = DnsRecordType.SOA.intValue();
    static final int TYPE_PTR = DnsRecordType.PTR.intValue();
    static final int TYPE_OPT = DnsRecordType.OPT.intValue();
    static final int TYPE_ANY = DnsRecordType.ANY.intValue();
    static final int CLASS_IN = 1;
    static final int CLASS_ANY = 255;

    static final int NOERROR = DnsResponseCode.NOERROR.intValue();
    static final int FORMERR = DnsResponseCode.FORMERR.intValue();
    static final int SERVFAIL = DnsResponseCode.SERVFAIL.intValue();
    static final int NXDOMAIN = DnsResponseCode.NXDOMAIN.intValue();
    static final int NOTIMP = DnsResponseCode.NOTIMP.intValue();
    static final int REFUSED = DnsResponseCode.REFUSED.intValue();

    static final int FLAG_QR = 0x8000;
    static final int MASK_OPCODE = 0x7800;
    static final int FLAG_AA = 0x0400;
    static final int FLAG_TC = 0x0200;
    static final int FLAG_RD = 0x0100;
    static final int FLAG_RA = 0x0080;
    static final int FLAG_CD = 0x0010;
    static final int OPCODE_QUERY = DnsOpCode.QUERY.byteValue();

    /** Largest UDP answer without EDNS0. */
    static final int UDP_PLAIN = 512;
    /** Largest UDP answer we send whatever a client advertises (DNS flag day 2020: no IP fragmentation). */
    static final int UDP_MAX = 1232;
    /** The OPT record we add to answers of EDNS0 queries: root owner, OPT, payload UDP_MAX, version 0. */
    static final int OPT_LEN = 11;

    /** Queries up to this size are parsed in a per-thread array (TCP ones above it in a fresh one). */
    static final int SCRATCH_IN_SMALL = 4096;
    private static final FastThreadLocal<byte[]> SCRATCH_IN = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[SCRATCH_IN_SMALL];
        }
    };

    /** Answers are built in a per-thread array, then copied into their buffer in one go. */
    static final FastThreadLocal<byte[]> SCRATCH_OUT = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[2 + 65535];
        }
    };

    /** Scratch space for a name being read, per thread (the event loops). */
    private static final FastThreadLocal<byte[]> NAME_BUFFER = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[256];
        }
    };

    private DnsWire() {
    }

    /** What {@link #parse} found. */
    enum Verdict { OK, DROP, FORMERR, NOTIMP }

    /** A parsed query. Offsets are relative to the start of the message. */
    static final class Query {
        int id;
        int flags;
        /** Lower-case name without trailing dot ("" for the root). */
        String name;
        /** false when a label holds a '.' or a byte outside printable ASCII: never matched locally. */
        boolean plain;
        int qtype;
        int qclass;
        /** End of the question section (the question is [HEADER, questionEnd)). */
        int questionEnd;
        /** EDNS0 payload size the client advertised, or -1 without OPT. */
        int ednsSize = -1;

        int opcode() {
            return (flags & MASK_OPCODE) >>> 11;
        }

        /** Largest UDP answer this client takes. */
        int udpLimit() {
            return ednsSize < 0 ? UDP_PLAIN : Math.min(UDP_MAX, Math.max(UDP_PLAIN, ednsSize));
        }

        int questionLength() {
            return questionEnd - HEADER;
        }
    }

    /**
     * Parses the query in {@code msg} from its reader index to its writer index, into {@code q}.
     * DROP: too short for a header, or a response (QR set): nothing must be sent back.
     * FORMERR/NOTIMP: answer with just a header ({@code q.id} and {@code q.flags} are set).
     */
    static Verdict parse(ByteBuf msg, Query q) {
        int len = msg.readableBytes();
        q.ednsSize = -1;
        if (len < HEADER) {
            return Verdict.DROP;
        }
        // One copy into a per-thread array, then plain array reads (cheaper than ByteBuf accessors,
        // notably under the C1 compiler the router runs with).
        byte[] m = len <= SCRATCH_IN_SMALL ? SCRATCH_IN.get() : new byte[len];
        msg.getBytes(msg.readerIndex(), m, 0, len);
        q.id = u16(m, 0);
        q.flags = u16(m, 2);
        if ((q.flags & FLAG_QR) != 0) {
            return Verdict.DROP;
        }
        if (q.opcode() != OPCODE_QUERY) {
            return Verdict.NOTIMP;
        }
        int qd = u16(m, 4);
        int an = u16(m, 6);
        int ns = u16(m, 8);
        int ar = u16(m, 10);
        if (qd != 1) {
            return Verdict.FORMERR;
        }
        int end = readName(m, len, HEADER, NAME_BUFFER.get(), q);
        if (end < 0 || end + 4 > len) {
            return Verdict.FORMERR;
        }
        q.qtype = u16(m, end);
        q.qclass = u16(m, end + 2);
        q.questionEnd = end + 4;
        int pos = q.questionEnd;
        int records = an + ns + ar;
        for (int i = 0; i < records; i++) {
            int nameStart = pos;
            pos = skipName(m, len, pos);
            if (pos < 0 || pos + 10 > len) {
                return Verdict.FORMERR;
            }
            int type = u16(m, pos);
            int rdlen = u16(m, pos + 8);
            if (i >= an + ns && type == TYPE_OPT && q.ednsSize < 0) {
                if (pos != nameStart + 1) { // OPT must have the root as owner
                    return Verdict.FORMERR;
                }
                q.ednsSize = u16(m, pos + 2);
            }
            pos += 10 + rdlen;
            if (pos > len) {
                return Verdict.FORMERR;
            }
        }
        return Verdict.OK;
    }

    /**
     * Reads the name at {@code off} into {@code q.name} (lower-case, dotted, no trailing dot). Pointers
     * must point backwards, so a name cannot loop. Returns the offset after the name, or -1.
     */
    private static int readName(byte[] m, int len, int off, byte[] buf, Query q) {
        int pos = off;
        int end = -1;
        int n = 0;
        boolean plain = true;
        while (true) {
            if (pos >= len) {
                return -1;
            }
            int l = (m[pos] & 0xFF);
            if ((l & 0xC0) == 0xC0) {
                if (pos + 1 >= len) {
                    return -1;
                }
                int ptr = ((l & 0x3F) << 8) | (m[pos + 1] & 0xFF);
                if (end < 0) {
                    end = pos + 2;
                }
                if (ptr >= pos) {
                    return -1;
                }
                pos = ptr;
                continue;
            }
            if ((l & 0xC0) != 0) {
                return -1;
            }
            if (l == 0) {
                if (end < 0) {
                    end = pos + 1;
                }
                break;
            }
            if (pos + 1 + l > len || n + l + (n == 0 ? 0 : 1) > 253) {
                return -1;
            }
            if (n > 0) {
                buf[n++] = '.';
            }
            for (int i = 0; i < l; i++) {
                byte b = m[pos + 1 + i];
                if (b >= 'A' && b <= 'Z') {
                    b = (byte) (b + 32);
                } else if (b == '.' || b <= ' ' || b >= 127) {
                    plain = false;
                }
                buf[n++] = b;
            }
            pos += 1 + l;
        }
        q.name = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
        q.plain = plain;
        return end;
    }

    /** Skips a name (pointers allowed only backwards); returns the offset after it, or -1. */
    static int skipName(byte[] m, int len, int off) {
        int pos = off;
        while (true) {
            if (pos >= len) {
                return -1;
            }
            int l = (m[pos] & 0xFF);
            if ((l & 0xC0) == 0xC0) {
                if (pos + 1 >= len) {
                    return -1;
                }
                int ptr = ((l & 0x3F) << 8) | (m[pos + 1] & 0xFF);
                return ptr < pos ? pos + 2 : -1;
            }
            if ((l & 0xC0) != 0) {
                return -1;
            }
            if (l == 0) {
                return pos + 1;
            }
            pos += 1 + l;
        }
    }

    static int u16(byte[] m, int off) {
        return ((m[off] & 0xFF) << 8) | (m[off + 1] & 0xFF);
    }

    /** Response flags for a query: QR, the query's opcode, RD and CD echoed, RA set. */
    static int responseFlags(int queryFlags, boolean aa, boolean tc, int rcode) {
        return FLAG_QR | (queryFlags & (MASK_OPCODE | FLAG_RD | FLAG_CD)) | (aa ? FLAG_AA : 0) | (tc ? FLAG_TC : 0)
                | FLAG_RA | (rcode & 0xF);
    }

    static int put16(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 8);
        b[p + 1] = (byte) v;
        return p + 2;
    }

    static int put32(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
        return p + 4;
    }

    static int header(byte[] b, int p, int id, int flags, int qd, int an, int ns, int ar) {
        p = put16(b, p, id);
        p = put16(b, p, flags);
        p = put16(b, p, qd);
        p = put16(b, p, an);
        p = put16(b, p, ns);
        return put16(b, p, ar);
    }

    /** The OPT record of our answers, at {@code p}; returns the position after it. */
    static int opt(byte[] b, int p) {
        b[p] = 0;
        p = put16(b, p + 1, TYPE_OPT);
        p = put16(b, p, UDP_MAX);
        p = put32(b, p, 0);
        return put16(b, p, 0);
    }

    /** An A record owned by the question name (a pointer to offset 12). */
    static int a(byte[] b, int p, int ttl, byte[] addr) {
        p = put16(b, p, 0xC000 | HEADER);
        p = put16(b, p, TYPE_A);
        p = put16(b, p, CLASS_IN);
        p = put32(b, p, ttl);
        p = put16(b, p, 4);
        System.arraycopy(addr, 0, b, p, 4);
        return p + 4;
    }

    /** A PTR record owned by the question name, pointing at the already encoded {@code target}. */
    static int ptr(byte[] b, int p, int ttl, byte[] target) {
        p = put16(b, p, 0xC000 | HEADER);
        p = put16(b, p, TYPE_PTR);
        p = put16(b, p, CLASS_IN);
        p = put32(b, p, ttl);
        p = put16(b, p, target.length);
        System.arraycopy(target, 0, b, p, target.length);
        return p + target.length;
    }

    static void writeHeader(ByteBuf out, int id, int flags, int qd, int an, int ns, int ar) {
        out.writeShort(id);
        out.writeShort(flags);
        out.writeShort(qd);
        out.writeShort(an);
        out.writeShort(ns);
        out.writeShort(ar);
    }

    static final int A_LEN = 16;

    static int ptrLength(byte[] target) {
        return 12 + target.length;
    }

    /**
     * A domain name in wire form (labels, root terminated). Returns null when a label is empty or longer
     * than 63 bytes or the name longer than 255 bytes.
     */
    static byte[] encodeName(String dotted) {
        String s = dotted.endsWith(".") ? dotted.substring(0, dotted.length() - 1) : dotted;
        byte[] text = s.getBytes(StandardCharsets.ISO_8859_1);
        if (text.length == 0) {
            return new byte[] {0};
        }
        byte[] out = new byte[text.length + 2];
        int labelStart = 0;
        for (int i = 0; i <= text.length; i++) {
            if (i == text.length || text[i] == '.') {
                int l = i - labelStart;
                if (l == 0 || l > 63) {
                    return null;
                }
                out[labelStart] = (byte) l;
                System.arraycopy(text, labelStart, out, labelStart + 1, l);
                labelStart = i + 1;
            }
        }
        out[out.length - 1] = 0;
        return out.length > 255 ? null : out;
    }

    /** The synthesized SOA record of the domain, negative TTL = ttl. */
    static byte[] soaRecord(String domain, int ttl) {
        byte[] owner = encodeName(domain);
        byte[] mname = encodeName("ns." + domain);
        byte[] rname = encodeName("hostmaster." + domain);
        if (owner == null || mname == null || rname == null) {
            throw new IllegalArgumentException("DNS domain \"" + domain + "\" too long for its SOA record");
        }
        int rdlen = mname.length + rname.length + 20;
        ByteBuf b = io.netty.buffer.Unpooled.buffer(owner.length + 10 + rdlen);
        b.writeBytes(owner);
        b.writeShort(TYPE_SOA);
        b.writeShort(CLASS_IN);
        b.writeInt(ttl);
        b.writeShort(rdlen);
        b.writeBytes(mname);
        b.writeBytes(rname);
        b.writeInt(1); // serial
        b.writeInt(3600); // refresh
        b.writeInt(600); // retry
        b.writeInt(86400); // expire
        b.writeInt(ttl); // minimum = negative TTL
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }
}
