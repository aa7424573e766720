package io.jweave.tunnel;

import java.nio.ByteBuffer;

/** One TCP transport connection to a peer (stage 3 fills this in; for now nothing is sent over TCP). */
final class TcpConn {
    final Peer peer;

    TcpConn(Peer peer) {
        this.peer = peer;
    }

    /** Queues one datagram (position..limit) as a frame; false if it cannot be sent. */
    boolean send(ByteBuffer datagram) {
        return false;
    }

    /** An authenticated transport message arrived over this connection. */
    void authenticated() {
    }

    boolean open() {
        return false;
    }
}
