package io.jweave.tunnel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;

/** Per-peer state. Fields without volatile are guarded by the Peer's monitor. */
final class Peer {
    final InetAddress address;
    /** {@link #address} as 4 bytes (IPv4). */
    final byte[] addressBytes;
    final InetSocketAddress endpoint;
    /** The IPv4 address as a big-endian int (0 if not IPv4). */
    final int addressInt;

    /** Most recent confirmed session: used to send. */
    volatile Session current;
    /** Older sessions still accepted for receiving until they expire (at most a few). */
    final ArrayDeque<Session> older = new ArrayDeque<>();
    /** Responder sessions waiting for their first transport packet. */
    final ArrayDeque<Session> pendingResponders = new ArrayDeque<>();
    Handshake inFlight;
    final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    long noInitiateBeforeNanos;
    boolean backingOff;
    long lastUnknownInitiationNanos;
    boolean unknownInitiationDone;
    volatile long lastRxNanos;

    volatile long sinceMillis = -1;
    volatile long lastHandshakeMillis = -1;
    volatile String refusedReason;
    volatile long refusedAtMillis;

    final LongAdder txPackets = new LongAdder();
    final LongAdder txBytes = new LongAdder();
    final LongAdder rxPackets = new LongAdder();
    final LongAdder rxBytes = new LongAdder();
    final LongAdder rekeys = new LongAdder();

    /** Liveness, RTT and path MTU (for every peer; PINGs only for watched ones). */
    final PathState path;
    /** Inner packets in reassembly from this peer. */
    final Fragments.Reassembly reassembly;
    /** Sender side: the next fragmented packet's id. */
    final java.util.concurrent.atomic.AtomicInteger fragId =
            new java.util.concurrent.atomic.AtomicInteger(java.util.concurrent.ThreadLocalRandom.current().nextInt());
    /** Kept alive and probed (see Tunnel.watch). */
    volatile boolean watched;
    /** Data goes over TCP (UDP does not answer, TCP does). */
    volatile boolean viaTcp;
    /** The TCP transport connection, if one is open. */
    volatile TcpConn tcp;
    /** A connect attempt is under way. */
    volatile boolean tcpConnecting;
    /** No connect attempt before this (nanoTime); the back-off grows 1 s .. 10 s and resets on authentication. */
    volatile long tcpNextNanos;
    volatile long tcpBackoffNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    Peer(InetAddress address, int port, int underlayMtu, LongAdder fragmentDrops) {
        this.path = new PathState(address, underlayMtu);
        this.reassembly = new Fragments.Reassembly(fragmentDrops);
        this.address = address;
        this.endpoint = new InetSocketAddress(address, port);
        byte[] b = address.getAddress();
        this.addressBytes = b;
        this.addressInt = b.length == 4
                ? ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff) : 0;
    }
}
