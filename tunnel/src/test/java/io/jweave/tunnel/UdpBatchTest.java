package io.jweave.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UdpBatchTest {
    private static final int LOOPBACK = 0x7f000001;

    @Test
    void layouts() {
        ByteBuffer b = UdpBatch.direct(64);
        UdpBatch.putSockaddrIn(b, 0, 0xc6336402, 6783); // 198.51.100.2
        assertEquals(UdpBatch.AF_INET, b.getShort(0));
        assertArrayEquals(new byte[] {0x1a, 0x7f, (byte) 198, 51, 100, 2, 0, 0, 0, 0, 0, 0, 0, 0}, bytes(b, 2, 14));
        assertEquals(0xc6336402, UdpBatch.sockaddrAddr(b, 0));
        assertEquals(6783, UdpBatch.sockaddrPort(b, 0));

        UdpBatch.putMsghdr(b, 0, 0x1111, 16, 0x2222, 3, 0x3333, 24);
        assertEquals(0x1111, b.getLong(0));
        assertEquals(16, b.getInt(8));
        assertEquals(0x2222, b.getLong(16));
        assertEquals(3, b.getLong(24));
        assertEquals(0x3333, b.getLong(32));
        assertEquals(24, b.getLong(40));
        assertEquals(0, b.getInt(48));

        UdpBatch.putSegmentCmsg(b, 0, 1472);
        assertEquals(18, b.getLong(0)); // CMSG_LEN(2)
        assertEquals(17, b.getInt(8)); // SOL_UDP
        assertEquals(103, b.getInt(12)); // UDP_SEGMENT
        assertEquals(1472, b.getShort(16));

        // a UDP_GRO cmsg (int) after an unrelated one
        b.clear();
        b.putLong(0, 20).putInt(8, 0).putInt(12, 1).putInt(16, 7); // SOL_IP, 4 bytes of data, padded to 24
        b.putLong(24, 20).putInt(32, 17).putInt(36, 104).putInt(40, 1432);
        assertEquals(1432, UdpBatch.groSize(b, 0, 48));
        assertEquals(0, UdpBatch.groSize(b, 0, 24));
        b.putLong(24, 1000); // a cmsg_len beyond controllen is not followed
        assertEquals(0, UdpBatch.groSize(b, 0, 48));
    }

    @Test
    void planJoinsRunsOfEqualSizeToOnePeerOnly() {
        UdpBatch.Sender s = new UdpBatch.Sender(8, 2048, true);
        int[][] pkts = {{1, 1000}, {1, 1000}, {1, 1000}, {1, 500}, {2, 1000}, {1, 1000}, {1, 1200}, {1, 1200}};
        for (int[] p : pkts) {
            s.slot();
            s.commit(p[1], LOOPBACK, 40000 + p[0]);
        }
        s.plan(0);
        assertEquals(4, s.messages);
        int[][] expect = {{0, 4}, {4, 5}, {5, 6}, {6, 8}};
        for (int m = 0; m < 4; m++) {
            assertEquals(expect[m][0], s.msgFirst[m]);
            assertEquals(expect[m][1], s.msgEnd[m]);
            int mo = s.mmsgOff + m * UdpBatch.MMSGHDR;
            assertEquals(expect[m][1] - expect[m][0], s.meta.getLong(mo + 24), "iovlen of " + m);
            boolean gso = expect[m][1] - expect[m][0] > 1;
            assertEquals(gso ? UdpBatch.CMSG_SPACE_U16 : 0, s.meta.getLong(mo + 40), "controllen of " + m);
        }
        assertEquals(1000, s.meta.getShort(s.ctrlOff + 16));
        assertEquals(1200, s.meta.getShort(s.ctrlOff + 6 * UdpBatch.CMSG_SPACE_U16 + 16));
        s.gso = false;
        s.plan(0);
        assertEquals(8, s.messages);
    }

    /** A mixed batch (two peers, different sizes, GSO runs and singles) arrives complete and in order. */
    @Test
    void mixedBatchArrivesComplete() throws Exception {
        try (DatagramChannel tx = open(); DatagramChannel rx1 = open(); DatagramChannel rx2 = open()) {
            int fd = UdpBatch.fdOf(tx);
            int fd1 = UdpBatch.fdOf(rx1);
            assertTrue(fd >= 0 && fd1 >= 0, "needs --add-opens java.base/sun.nio.ch=ALL-UNNAMED");
            int p1 = ((InetSocketAddress) rx1.getLocalAddress()).getPort();
            int p2 = ((InetSocketAddress) rx2.getLocalAddress()).getPort();
            assertEquals(0, UdpBatch.setInt(fd1, UdpBatch.SOL_UDP, UdpBatch.UDP_GRO, 1));
            UdpBatch.Sender s = new UdpBatch.Sender(32, 2048, true);
            List<byte[]> to1 = new ArrayList<>();
            List<byte[]> to2 = new ArrayList<>();
            int[] sizes = {1472, 1472, 1472, 1472, 700, 1472, 60, 1472, 1472, 1472, 1472, 1472, 1000, 1000};
            for (int i = 0; i < sizes.length * 2; i++) {
                boolean first = i % 5 != 2; // mostly peer 1, now and then peer 2
                byte[] d = new byte[sizes[i % sizes.length]];
                for (int k = 0; k < d.length; k++) {
                    d[k] = (byte) (i * 31 + k);
                }
                s.slot().put(d);
                s.commit(d.length, LOOPBACK, first ? p1 : p2);
                (first ? to1 : to2).add(d);
            }
            s.flush(fd, UdpBatch.direct(8));
            for (int i = 0; i < s.count; i++) {
                assertTrue(!s.failed[i], "packet " + i + " failed");
            }
            assertTrue(s.gsoMessages > 0, "some runs went out as GSO messages");
            assertTrue(s.calls < 3, "one sendmmsg for the batch, not " + s.calls);

            UdpBatch.Receiver r = new UdpBatch.Receiver(4);
            List<byte[]> got1 = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (got1.size() < to1.size() && System.nanoTime() < deadline) {
                r.receive(fd1, 100, (d, from) -> {
                    assertEquals(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                            ((InetSocketAddress) localAddress(tx)).getPort()), from);
                    byte[] b = new byte[d.remaining()];
                    d.get(b);
                    got1.add(b);
                });
            }
            assertEquals(to1.size(), got1.size());
            for (int i = 0; i < to1.size(); i++) {
                assertArrayEquals(to1.get(i), got1.get(i), "peer 1 datagram " + i);
            }
            for (int i = 0; i < to2.size(); i++) {
                ByteBuffer b = ByteBuffer.allocate(4096);
                rx2.receive(b);
                b.flip();
                byte[] a = new byte[b.remaining()];
                b.get(a);
                assertArrayEquals(to2.get(i), a, "peer 2 datagram " + i);
            }
        }
    }

    private static java.net.SocketAddress localAddress(DatagramChannel c) {
        try {
            return c.getLocalAddress();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DatagramChannel open() throws Exception {
        DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
        c.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return c;
    }

    private static byte[] bytes(ByteBuffer b, int off, int n) {
        byte[] a = new byte[n];
        b.get(off, a);
        return a;
    }
}
