package io.jweave.router.dns;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny upstream DNS server on loopback (UDP and TCP, one port), plain sockets and threads:
 * {@code big.example} has 100 A records (TC over UDP), {@code nx.example} is NXDOMAIN, any other name
 * has the A record 192.0.2.7 (documentation range: only ever data, never a destination).
 */
final class TestUpstream implements AutoCloseable {
    /** What the upstream received: name, lower-case, and transport. */
    record Received(String name, int id, boolean tcp) {
    }

    final List<Received> received = new CopyOnWriteArrayList<>();
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private volatile boolean closed;

    TestUpstream() throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        ServerSocket t = null;
        DatagramSocket u = null;
        for (int i = 0; i < 20 && t == null; i++) {
            u = new DatagramSocket(new InetSocketAddress(lo, 0));
            try {
                t = new ServerSocket(u.getLocalPort(), 50, lo);
            } catch (IOException e) {
                u.close();
            }
        }
        if (t == null) {
            throw new IOException("no port free for UDP and TCP");
        }
        udp = u;
        tcp = t;
        Thread ut = new Thread(this::serveUdp, "test-upstream-udp");
        ut.setDaemon(true);
        ut.start();
        Thread tt = new Thread(this::serveTcp, "test-upstream-tcp");
        tt.setDaemon(true);
        tt.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort());
    }

    private void serveUdp() {
        byte[] buf = new byte[4096];
        while (!closed) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                byte[] q = new byte[p.getLength()];
                System.arraycopy(buf, 0, q, 0, q.length);
                byte[] r = answer(q, false);
                if (r != null) {
                    udp.send(new DatagramPacket(r, r.length, p.getSocketAddress()));
                }
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serveTcp() {
        while (!closed) {
            try {
                Socket s = tcp.accept();
                Thread c = new Thread(() -> serveConnection(s), "test-upstream-conn");
                c.setDaemon(true);
                c.start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serveConnection(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                int len = in.readUnsignedShort();
                byte[] q = new byte[len];
                in.readFully(q);
                byte[] r = answer(q, true);
                if (r != null) {
                    out.write(new byte[] {(byte) (r.length >> 8), (byte) r.length});
                    out.write(r);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // connection ended
        }
    }

    private byte[] answer(byte[] q, boolean overTcp) {
        if (q.length < 17) {
            return null;
        }
        StringBuilder name = new StringBuilder();
        int pos = 12;
        while (pos < q.length && q[pos] != 0) {
            int l = q[pos] & 0xFF;
            if (l > 63 || pos + 1 + l > q.length) {
                return null;
            }
            if (name.length() > 0) {
                name.append('.');
            }
            name.append(new String(q, pos + 1, l, java.nio.charset.StandardCharsets.US_ASCII));
            pos += 1 + l;
        }
        int qEnd = pos + 5;
        if (qEnd > q.length) {
            return null;
        }
        String n = name.toString().toLowerCase(java.util.Locale.ROOT);
        int id = ((q[0] & 0xFF) << 8) | (q[1] & 0xFF);
        received.add(new Received(n, id, overTcp));
        int count = n.equals("big.example") ? 100 : n.equals("nx.example") ? 0 : 1;
        int rcode = n.equals("nx.example") ? 3 : 0;
        boolean tc = !overTcp && 12 + (qEnd - 12) + count * 16 > 512;
        if (tc) {
            count = 0;
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(q[0]);
        b.write(q[1]);
        int flags = 0x8000 | 0x0080 | (q[2] & 0x01) << 8 | (tc ? 0x0200 : 0) | rcode;
        b.write(flags >> 8);
        b.write(flags);
        b.writeBytes(new byte[] {0, 1, (byte) (count >> 8), (byte) count, 0, 0, 0, 0});
        b.write(q, 12, qEnd - 12);
        for (int i = 0; i < count; i++) {
            b.writeBytes(new byte[] {(byte) 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, (byte) 192, 0, 2,
                (byte) (count == 1 ? 7 : i + 1)});
        }
        return b.toByteArray();
    }

    @Override
    public void close() {
        closed = true;
        udp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            // closing
        }
    }
}
