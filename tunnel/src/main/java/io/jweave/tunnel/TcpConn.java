package io.jweave.tunnel;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP transport connection to a peer. Each frame is a u16 big-endian length and exactly the bytes
 * of one datagram the tunnel would send over UDP (handshake, transport or notice message). A reader
 * thread hands frames to the tunnel; a writer thread drains a bounded queue (full = the frame is
 * dropped, as a congested UDP socket would).
 */
final class TcpConn {
    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

    static final int MAX_FRAME = 65535;
    /**
     * Frames waiting for the socket: 1024 (about 1.5 MB of full-size frames) per connection, so a stalled
     * peer cannot hold much of a router's heap (128 MB in the image) while TCP's own buffers smooth bursts.
     */
    static final int QUEUE = 1024;

    interface Handler {
        /** One frame (position 0..limit); the buffer is reused after the call returns. */
        void frame(TcpConn c, ByteBuffer datagram);

        void closed(TcpConn c);
    }

    final Peer peer;
    final SocketChannel ch;
    /** The peer as the UDP code names it: (address, peerPort). */
    final InetSocketAddress from;
    final boolean accepted;
    final long openedNanos = System.nanoTime();
    private final Handler handler;
    private final ArrayBlockingQueue<byte[]> out = new ArrayBlockingQueue<>(QUEUE);
    private volatile boolean closed;
    private volatile boolean authenticated;
    private Thread reader;
    private Thread writer;

    TcpConn(Peer peer, SocketChannel ch, InetSocketAddress from, boolean accepted, Handler handler) throws IOException {
        this.peer = peer;
        this.ch = ch;
        this.from = from;
        this.accepted = accepted;
        this.handler = handler;
        ch.configureBlocking(true);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
    }

    void start() {
        String name = "jweave-tunnel-tcp-" + peer.address.getHostAddress();
        reader = new Thread(this::readLoop, name + "-rx");
        writer = new Thread(this::writeLoop, name + "-tx");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    /** Queues one datagram (position..limit, not moved) as a frame; false if closed, too big or the queue is full. */
    boolean send(ByteBuffer datagram) {
        int n = datagram.remaining();
        if (closed || n > MAX_FRAME) {
            return false;
        }
        byte[] f = new byte[2 + n];
        f[0] = (byte) (n >>> 8);
        f[1] = (byte) n;
        datagram.get(datagram.position(), f, 2, n);
        return out.offer(f);
    }

    /** An authenticated transport message arrived over this connection. */
    void authenticated() {
        authenticated = true;
    }

    boolean isAuthenticated() {
        return authenticated;
    }

    boolean open() {
        return !closed;
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            ch.close();
        } catch (IOException e) {
            // closing anyway
        }
        if (writer != null) {
            writer.interrupt();
        }
        handler.closed(this);
    }

    private void readLoop() {
        ByteBuffer head = ByteBuffer.allocate(2);
        ByteBuffer body = ByteBuffer.allocateDirect(MAX_FRAME);
        try {
            while (!closed) {
                head.clear();
                readFully(head);
                int n = head.getShort(0) & 0xffff;
                if (n < 4) {
                    log.debug("tcp from {}: a frame of {} bytes: closing", from.getAddress().getHostAddress(), n);
                    break; // nothing of ours is this short: garbage
                }
                body.clear().limit(n);
                readFully(body);
                body.flip();
                handler.frame(this, body);
            }
        } catch (IOException e) {
            if (!closed) {
                log.debug("tcp from {}: {}", from.getAddress().getHostAddress(), e.toString());
            }
        } catch (RuntimeException e) {
            log.debug("tcp from {}: {}", from.getAddress().getHostAddress(), e.toString());
        }
        close();
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("closed by the peer");
            }
        }
    }

    private void writeLoop() {
        ByteBuffer buf = ByteBuffer.allocateDirect(256 << 10);
        try {
            while (!closed) {
                byte[] f = out.poll(500, TimeUnit.MILLISECONDS);
                if (f == null) {
                    continue;
                }
                buf.clear();
                buf.put(f);
                while ((f = out.peek()) != null && f.length <= buf.remaining()) {
                    buf.put(out.poll());
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        } catch (InterruptedException e) {
            // closing
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                log.debug("tcp to {}: {}", from.getAddress().getHostAddress(), e.toString());
            }
        }
        close();
    }

    @Override
    public String toString() {
        return "TcpConn[" + from.getAddress().getHostAddress() + (accepted ? ", accepted" : ", connected")
                + (authenticated ? ", authenticated" : "") + (closed ? ", closed" : "") + "]";
    }
}
