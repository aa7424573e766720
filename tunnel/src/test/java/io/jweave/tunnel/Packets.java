package io.jweave.tunnel;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** Test helpers: minimal IPv4/UDP packets and free ports. */
final class Packets {
    private Packets() {}

    static byte[] ipv4(InetAddress src, InetAddress dst, byte[] payload) {
        int len = 28 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(len);
        b.put((byte) 0x45).put((byte) 0).putShort((short) len).putInt(0).put((byte) 64).put((byte) 17).putShort((short) 0);
        b.put(src.getAddress()).put(dst.getAddress());
        b.putShort((short) 4789).putShort((short) 4789).putShort((short) (8 + payload.length)).putShort((short) 0);
        b.put(payload);
        return b.array();
    }

    static byte[] numbered(InetAddress src, InetAddress dst, int n, int size) {
        byte[] payload = new byte[Math.max(4, size - 28)];
        ByteBuffer.wrap(payload).putInt(n);
        return ipv4(src, dst, payload);
    }

    static int number(byte[] packet) {
        return ByteBuffer.wrap(packet).getInt(28);
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A UDP port free on all the given addresses (best effort). */
    static int freePort(String... addrs) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(addrs[0], 0))) {
                port = s.getLocalPort();
            }
            boolean ok = true;
            for (String a : addrs) {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(a, port))) {
                    // free
                } catch (IOException e) {
                    ok = false;
                }
            }
            if (ok) {
                return port;
            }
        }
        throw new IOException("no common free port");
    }
}
