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
        this(pskA, false, pskB, false, rekeyAfter, Packets.freePort("127.0.0.1", "127.0.0.2"), aPeerPort, bPeerPort, 0);
    }

    /** open*: open mode when psk* is null; tcpPort 0 = no TCP transport. */
    Pair(Psk pskA, boolean openA, Psk pskB, boolean openB, Duration rekeyAfter, int port, int aPeerPort, int bPeerPort,
            int tcpPort) throws IOException {
        this.rekeyAfter = rekeyAfter;
        this.port = port;
        this.openB = openB;
        this.tcpPort = tcpPort;
        a = new Tunnel(new TunnelConfig(new InetSocketAddress(A, port), aPeerPort == 0 ? port : aPeerPort, pskA, openA,
                rekeyAfter, 1500, 1500, tcpPort), pskA == null && !openA ? null : devA, lisA);
        a.start();
        b = newB(pskB, bPeerPort == 0 ? port : bPeerPort);
    }

    private boolean openB;
    private int tcpPort;

    Tunnel newB(Psk pskB, int peerPort) throws IOException {
        devB = new MemDevice();
        lisB = new RecordingListener();
        boolean open = pskB == null && openB;
        b = new Tunnel(new TunnelConfig(new InetSocketAddress(B, port), peerPort, pskB, open, rekeyAfter, 1500, 1500,
                tcpPort), pskB == null && !open ? null : devB, lisB);
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
