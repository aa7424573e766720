package io.jweave.tunnel;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A one-way UDP relay on loopback: receives on (listenAddr, some port) and forwards each datagram
 * from a socket bound to sourceAddr, so the receiver sees the original sender's address. Records
 * everything it carries; can hold back the next transport packet.
 */
final class UdpRelay implements AutoCloseable {
    final DatagramSocket in;
    final DatagramSocket out;
    final InetSocketAddress target;
    final List<byte[]> seen = new CopyOnWriteArrayList<>();
    final BlockingQueue<byte[]> held = new LinkedBlockingQueue<>();
    volatile boolean holdNextTransport;
    /** Drops everything (counts it in dropped). */
    volatile boolean dropAll;
    /** Drops datagrams larger than this (a black hole for big ones). */
    volatile int dropAbove = Integer.MAX_VALUE;
    final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
    private final Thread thread;

    UdpRelay(String listenAddr, String sourceAddr, InetSocketAddress target) throws IOException {
        in = new DatagramSocket(new InetSocketAddress(listenAddr, 0));
        out = new DatagramSocket(new InetSocketAddress(sourceAddr, 0));
        this.target = target;
        thread = new Thread(this::run, "udp-relay");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return in.getLocalPort();
    }

    private void run() {
        byte[] buf = new byte[65536];
        while (!in.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                in.receive(p);
            } catch (IOException e) {
                return;
            }
            byte[] d = Arrays.copyOf(p.getData(), p.getLength());
            if (dropAll || d.length > dropAbove) {
                dropped.incrementAndGet();
                continue;
            }
            if (seen.size() < 100_000) {
                seen.add(d);
            }
            if (holdNextTransport && d.length > 32 && d[0] == 3) {
                holdNextTransport = false;
                held.add(d);
                continue;
            }
            send(d);
        }
    }

    void send(byte[] d) {
        try {
            out.send(new DatagramPacket(d, d.length, target));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        in.close();
        out.close();
    }
}
