package io.jweave.tunnel;

import io.jweave.tunnel.noise.HandshakeState;

/** An initiation in flight. Guarded by its peer's lock. */
final class Handshake {
    final Peer peer;
    final HandshakeState state;
    final int localIndex;
    final byte[] packet;
    final boolean rekey;
    int tries;
    long nextNanos;

    Handshake(Peer peer, HandshakeState state, int localIndex, byte[] packet, boolean rekey) {
        this.peer = peer;
        this.state = state;
        this.localIndex = localIndex;
        this.packet = packet;
        this.rekey = rekey;
    }
}
