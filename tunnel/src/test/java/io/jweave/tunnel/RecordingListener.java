package io.jweave.tunnel;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

final class RecordingListener implements TunnelListener {
    final List<InetAddress> up = new CopyOnWriteArrayList<>();
    final List<String> refused = new CopyOnWriteArrayList<>();
    final List<PeerPath[]> paths = new CopyOnWriteArrayList<>();

    @Override
    public void peerUp(InetAddress peer) {
        up.add(peer);
    }

    @Override
    public void pathChanged(InetAddress peer, PeerPath before, PeerPath now) {
        paths.add(new PeerPath[] {before, now});
    }

    @Override
    public void peerRefused(InetAddress peer, String reason) {
        refused.add(peer.getHostAddress() + ": " + reason);
    }
}
