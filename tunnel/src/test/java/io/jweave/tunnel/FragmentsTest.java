package io.jweave.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class FragmentsTest {
    static final long S = 1_000_000_000L;

    static byte[] packet(int len, int seed) {
        byte[] b = new byte[len];
        new Random(seed).nextBytes(b);
        b[0] = 0x45;
        return b;
    }

    static List<ByteBuffer> split(byte[] pkt, int maxPayload, int id) {
        ByteBuffer in = ByteBuffer.wrap(pkt);
        int count = Fragments.count(pkt.length, maxPayload);
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ByteBuffer f = ByteBuffer.allocate(maxPayload);
            Fragments.write(in, i, count, id, f);
            f.flip();
            assertTrue(f.remaining() <= maxPayload);
            out.add(f);
            assertEquals(0, in.position(), "the packet is not consumed");
        }
        return out;
    }

    @Test
    void equalPiecesLastMayBeShorterNeverEmpty() {
        for (int len = 20; len < 5000; len += 7) {
            for (int max : new int[] {Fragments.HEADER + 1, 100, 508, 1340, 1440}) {
                List<ByteBuffer> f = split(packet(len, len), max, 1);
                int first = f.get(0).remaining();
                for (int i = 0; i < f.size(); i++) {
                    int n = f.get(i).remaining();
                    assertTrue(n > Fragments.HEADER, "no empty piece");
                    assertTrue(i == f.size() - 1 ? n <= first : n == first, "equal sizes");
                }
            }
        }
        assertEquals(2, split(packet(1500, 1), 1440, 1).size());
        assertEquals(760, split(packet(1500, 1), 1440, 1).get(0).remaining()); // 750 + header
    }

    @Test
    void inOrderReverseShuffledAndDuplicated() {
        LongAdder drops = new LongAdder();
        Fragments.Reassembly r = new Fragments.Reassembly(drops);
        Random rnd = new Random(7);
        for (int k = 0; k < 200; k++) {
            byte[] pkt = packet(20 + rnd.nextInt(65535 - 20), k);
            List<ByteBuffer> f = split(pkt, 508 + rnd.nextInt(1000), k);
            if (k % 3 == 1) {
                Collections.reverse(f);
            } else if (k % 3 == 2) {
                Collections.shuffle(f, rnd);
                f.add(f.get(0).duplicate()); // a duplicate
                Collections.shuffle(f, rnd);
            }
            byte[] got = null;
            for (ByteBuffer b : f) {
                byte[] r1 = r.add(b.duplicate(), 0);
                if (r1 != null) {
                    assertNull(got, "completed once");
                    got = r1;
                }
            }
            assertArrayEquals(pkt, got);
        }
        assertEquals(0, drops.sum());
        assertEquals(0, r.size());
    }

    @Test
    void interleavedPackets() {
        Fragments.Reassembly r = new Fragments.Reassembly(new LongAdder());
        byte[] p1 = packet(3000, 1);
        byte[] p2 = packet(2999, 2);
        List<ByteBuffer> f1 = split(p1, 1000, 10);
        List<ByteBuffer> f2 = split(p2, 1000, 11);
        for (int i = 0; i < f1.size() - 1; i++) {
            assertNull(r.add(f1.get(i), 0));
            assertNull(r.add(f2.get(i), 0));
        }
        assertArrayEquals(p2, r.add(f2.get(f2.size() - 1), 0));
        assertArrayEquals(p1, r.add(f1.get(f1.size() - 1), 0));
    }

    @Test
    void lossTimesOut() {
        LongAdder drops = new LongAdder();
        Fragments.Reassembly r = new Fragments.Reassembly(drops);
        List<ByteBuffer> f = split(packet(3000, 1), 1000, 5);
        assertNull(r.add(f.get(0), 0));
        assertEquals(1, r.size());
        assertEquals(0, r.expire(S)); // 1 s: still waiting
        assertEquals(1, r.expire(2 * S)); // 2 s: gone
        assertEquals(1, drops.sum());
        // the rest arriving late start a new packet that never completes (the first piece is gone)
        assertNull(r.add(f.get(1), 2 * S));
        assertNull(r.add(f.get(2), 2 * S));
        assertEquals(1, r.size());
        assertNull(r.add(f.get(1).rewind(), 5 * S)); // expired on access
        assertEquals(2, drops.sum());
    }

    @Test
    void atMost64PacketsPerPeer() {
        LongAdder drops = new LongAdder();
        Fragments.Reassembly r = new Fragments.Reassembly(drops);
        List<List<ByteBuffer>> all = new ArrayList<>();
        for (int id = 0; id < 70; id++) {
            List<ByteBuffer> f = split(packet(1500, id), 1000, id);
            all.add(f);
            assertNull(r.add(f.get(0), 0));
        }
        assertEquals(64, r.size());
        assertEquals(6, drops.sum());
        assertNull(r.add(all.get(0).get(1), 0), "the oldest were evicted");
        assertNotNull(r.add(all.get(69).get(1), 0));
    }

    @Test
    void boundedBytes() {
        LongAdder drops = new LongAdder();
        Fragments.Reassembly r = new Fragments.Reassembly(drops);
        for (int id = 0; id < 40; id++) {
            assertNull(r.add(split(packet(65535, id), 1440, id).get(0), 0));
        }
        assertTrue(r.size() <= Fragments.MAX_BYTES / 65535, "size " + r.size());
        assertEquals(40 - r.size(), drops.sum());
    }

    @Test
    void inconsistentFragmentsDropThePacket() {
        LongAdder drops = new LongAdder();
        Fragments.Reassembly r = new Fragments.Reassembly(drops);
        byte[] pkt = packet(3000, 3);
        List<ByteBuffer> f = split(pkt, 1000, 9);
        assertNull(r.add(f.get(0).duplicate(), 0));
        ByteBuffer wrongCount = copy(f.get(1));
        wrongCount.put(2, (byte) 5);
        assertNull(r.add(wrongCount, 0));
        assertEquals(1, drops.sum());
        assertEquals(0, r.size(), "the packet it claimed went too");
        ByteBuffer shortPiece = copy(f.get(1));
        shortPiece.limit(shortPiece.limit() - 1);
        assertNull(r.add(shortPiece, 0));
        ByteBuffer badIndex = copy(f.get(1));
        badIndex.put(1, (byte) 4);
        assertNull(r.add(badIndex, 0));
        ByteBuffer one = copy(f.get(0));
        one.put(2, (byte) 1);
        assertNull(r.add(one, 0));
        ByteBuffer reserved = copy(f.get(0));
        reserved.put(3, (byte) 1);
        assertNull(r.add(reserved, 0));
        ByteBuffer headerOnly = ByteBuffer.wrap(new byte[Fragments.HEADER]);
        headerOnly.put(0, Fragments.TYPE);
        assertNull(r.add(headerOnly, 0));
        assertEquals(6, drops.sum());
        // the genuine fragments still make the packet
        byte[] got = null;
        for (ByteBuffer b : f) {
            got = r.add(b.rewind(), 0);
        }
        assertArrayEquals(pkt, got);
    }

    static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.remaining());
        c.put(b.duplicate()).flip();
        return c;
    }
}
