package io.jweave.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A queue-backed PacketDevice for unit tests. */
final class MemDevice implements PacketDevice {
    final BlockingQueue<byte[]> toTunnel = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> fromTunnel = new LinkedBlockingQueue<>();
    volatile boolean closed;

    void inject(byte[] packet) {
        toTunnel.add(packet);
    }

    byte[] take(long millis) throws InterruptedException {
        return fromTunnel.poll(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        byte[] p;
        try {
            p = toTunnel.poll(50, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        if (p == null) {
            return 0;
        }
        dst.put(p);
        return p.length;
    }

    @Override
    public int readNow(ByteBuffer dst) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        byte[] p = toTunnel.poll();
        if (p == null) {
            return 0;
        }
        dst.put(p);
        return p.length;
    }

    @Override
    public void write(ByteBuffer src) {
        byte[] b = new byte[src.remaining()];
        src.get(b);
        fromTunnel.add(b);
    }

    @Override
    public void close() {
        closed = true;
    }
}
