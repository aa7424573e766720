package io.jweave.tunnel;

import java.net.InetAddress;

/** Told about peers; called on the tunnel's own event thread, one event at a time. */
public interface TunnelListener {
    /** A session with the peer is confirmed (first time, or again after a refusal or expiry). */
    default void peerUp(InetAddress peer) {}

    /** The peer and this router do not agree on a password; the reason says which way. */
    default void peerRefused(InetAddress peer, String reason) {}

    /** The transport to a watched peer changed ({@link PeerPath#transport()}). */
    default void pathChanged(InetAddress peer, PeerPath before, PeerPath now) {}

    TunnelListener NONE = new TunnelListener() {};
}
