package io.jweave.tunnel;

import static io.jweave.tunnel.Packets.addr;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/** Two tunnels on loopback: A on 127.0.0.1, B on 127.0.0.2, with in-memory devices. */
final class Pair implements AutoCloseable {
    static final InetAddress A = addr("127.0.0.1");
    static final InetAddress B = addr("127.0.0.2");
    static final Psk PSK = Psk.ofKey(new byte[32]);

    final int port;
    final MemDevice devA = new MemDevice();
    MemDevice devB = new MemDevice();
    final RecordingListener lisA = new RecordingListener();
    RecordingListener lisB = new RecordingListener();
    final Tunnel a;
    Tunnel b;
    final Duration rekeyAfter;

    Pair(Psk pskA, Psk pskB, Duration rekeyAfter) throws IOException {
        this(pskA, pskB, rekeyAfter, 0, 0);
    }

    /** aPeerPort/bPeerPort 0 = the common port; otherwise A sends to B at aPeerPort (a relay) etc. */
    Pair(Psk pskA, Psk pskB, Duration rekeyAfter, int aPeerPort, int bPeerPort) throws IOException {
        this.rekeyAfter = rekeyAfter;
        port = Packets.freePort("127.0.0.1", "127.0.0.2");
        a = new Tunnel(new TunnelConfig(new InetSocketAddress(A, port), aPeerPort == 0 ? port : aPeerPort, pskA, rekeyAfter, 1500),
                pskA == null ? null : devA, lisA);
        a.start();
        b = newB(pskB, bPeerPort == 0 ? port : bPeerPort);
    }

    Tunnel newB(Psk pskB, int peerPort) throws IOException {
        devB = new MemDevice();
        lisB = new RecordingListener();
        b = new Tunnel(new TunnelConfig(new InetSocketAddress(B, port), peerPort, pskB, rekeyAfter, 1500),
                pskB == null ? null : devB, lisB);
        b.start();
        return b;
    }

    @Override
    public void close() {
        a.close();
        if (b != null) {
            b.close();
        }
    }
}
