package io.jweave.tunnel;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fragmentation of inner packets at the tunnel's layer (before sealing). A FRAG control payload is
 * {@code type(1)=3 index(1) count(1) reserved(1)=0 packet_id(4) total(2) bytes}: the packet of
 * {@code total} bytes is cut into {@code count} pieces of {@code ceil(total / count)} bytes (the last
 * may be shorter), so every piece's offset and length follow from the header, and the sealed
 * fragments of one packet but the last have equal sizes (UDP GSO can join them).
 */
final class Fragments {
    static final byte TYPE = 3;
    static final int HEADER = 10;
    static final int MAX_PACKET = 65535;
    static final int MAX_COUNT = 255;
    /** Packets in reassembly per peer, and the bytes they may hold. */
    static final int MAX_PARTIALS = 64;
    static final int MAX_BYTES = 1 << 20;
    static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private Fragments() {
    }

    /** How many fragments a packet of len bytes needs when a fragment's payload (header included) may be maxPayload. */
    static int count(int len, int maxPayload) {
        int room = maxPayload - HEADER;
        if (room <= 0) {
            throw new IllegalArgumentException("no room for fragments: " + maxPayload);
        }
        return (len + room - 1) / room;
    }

    /** The size of every piece but the last. */
    static int piece(int total, int count) {
        return (total + count - 1) / count;
    }

    /**
     * Writes fragment index of pkt (position..limit, not moved) into out: header and piece. count from
     * {@link #count}; since count = ceil(len / room), (count - 1) * piece < len: no piece is empty.
     */
    static void write(ByteBuffer pkt, int index, int count, int id, ByteBuffer out) {
        int total = pkt.remaining();
        int piece = piece(total, count);
        int off = index * piece;
        int n = Math.min(piece, total - off);
        out.put(TYPE).put((byte) index).put((byte) count).put((byte) 0).putInt(id).putShort((short) total);
        out.put(out.position(), pkt, pkt.position() + off, n);
        out.position(out.position() + n);
    }

    /** One peer's packets in reassembly. Thread-safe (UDP and TCP receivers may both deliver). */
    static final class Reassembly {
        private final LinkedHashMap<Integer, Partial> partials = new LinkedHashMap<>();
        private final LongAdder drops;
        private int bytes;
        /** Ids of the last packets completed: late duplicates of their fragments are ignored. */
        private final int[] done = new int[MAX_PARTIALS];
        private int doneCount;
        private int donePos;

        Reassembly(LongAdder drops) {
            this.drops = drops;
        }

        private static final class Partial {
            final int count;
            final int total;
            final byte[] buf;
            final boolean[] got;
            final long created;
            int received;

            Partial(int count, int total, long created) {
                this.count = count;
                this.total = total;
                this.buf = new byte[total];
                this.got = new boolean[count];
                this.created = created;
            }
        }

        /**
         * Takes one FRAG payload (position..limit, type byte first). Returns the whole packet once its last
         * missing piece arrived, else null. Inconsistent fragments drop the packet they claim to belong to.
         */
        synchronized byte[] add(ByteBuffer frag, long now) {
            expire(now);
            int p = frag.position();
            int len = frag.remaining() - HEADER;
            if (len <= 0 || frag.get(p) != TYPE || frag.get(p + 3) != 0) {
                drops.increment();
                return null;
            }
            int index = frag.get(p + 1) & 0xff;
            int count = frag.get(p + 2) & 0xff;
            int id = frag.getInt(p + 4);
            int total = frag.getShort(p + 8) & 0xffff;
            Partial part = partials.get(id);
            int piece = count == 0 ? 0 : piece(total, count);
            int off = index * piece;
            boolean ok = count >= 2 && index < count && total >= 20 && len == Math.min(piece, total - off)
                    && (part == null || (part.count == count && part.total == total));
            if (!ok) {
                if (part != null) {
                    remove(id, part);
                }
                drops.increment();
                return null;
            }
            if (part == null) {
                for (int i = 0; i < doneCount; i++) {
                    if (done[i] == id) {
                        return null; // a late duplicate of a packet already delivered
                    }
                }
                while (!partials.isEmpty() && (partials.size() >= MAX_PARTIALS || bytes + total > MAX_BYTES)) {
                    Iterator<java.util.Map.Entry<Integer, Partial>> it = partials.entrySet().iterator();
                    bytes -= it.next().getValue().total;
                    it.remove();
                    drops.increment();
                }
                part = new Partial(count, total, now);
                partials.put(id, part);
                bytes += total;
            }
            if (part.got[index]) {
                return null; // a duplicate
            }
            part.got[index] = true;
            frag.get(p + HEADER, part.buf, off, len);
            if (++part.received < count) {
                return null;
            }
            remove(id, part);
            done[donePos] = id;
            donePos = (donePos + 1) % done.length;
            doneCount = Math.min(doneCount + 1, done.length);
            return part.buf;
        }

        private void remove(int id, Partial part) {
            partials.remove(id);
            bytes -= part.total;
        }

        /** Drops packets older than 2 s; returns how many. */
        synchronized int expire(long now) {
            int n = 0;
            for (Iterator<Partial> it = partials.values().iterator(); it.hasNext(); ) {
                Partial part = it.next();
                if (now - part.created < TIMEOUT_NANOS) {
                    break; // insertion order: the rest are younger
                }
                it.remove();
                bytes -= part.total;
                n++;
            }
            drops.add(n);
            return n;
        }

        synchronized int size() {
            return partials.size();
        }
    }
}
