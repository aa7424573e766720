package io.jweave.tunnel;

import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.spec.SecretKeySpec;

/** One transport session (the result of one handshake). Keys never appear in toString. */
final class Session {
    final Peer peer;
    final int localIndex;
    final int remoteIndex;
    final SecretKeySpec sendKey;
    final SecretKeySpec recvKey;
    final long createdNanos;
    final boolean initiator;
    volatile boolean confirmed;
    /** Removed from the index map: no longer accepted. */
    volatile boolean retired;
    final AtomicLong sendCounter = new AtomicLong();
    /** Used by the receive thread only. */
    final ReplayWindow replay = new ReplayWindow();

    Session(Peer peer, int localIndex, int remoteIndex, SecretKeySpec sendKey, SecretKeySpec recvKey,
            long createdNanos, boolean initiator) {
        this.peer = peer;
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.sendKey = sendKey;
        this.recvKey = recvKey;
        this.createdNanos = createdNanos;
        this.initiator = initiator;
    }

    @Override
    public String toString() {
        return "Session[" + peer.address.getHostAddress() + ", local " + Integer.toUnsignedString(localIndex)
                + (initiator ? ", initiator" : ", responder") + (confirmed ? ", confirmed" : "") + "]";
    }
}
