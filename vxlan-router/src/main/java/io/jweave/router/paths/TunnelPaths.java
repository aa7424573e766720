package io.jweave.router.paths;

import java.net.InetAddress;
import java.util.Collection;

/** What {@link PeerPaths} needs of the userspace tunnel (the router's {@code MeshEncryption} provides it). */
public interface TunnelPaths {

    /** How the tunnel reaches one peer now. */
    enum Transport { UDP, TCP, NONE }

    /**
     * @param transport how the tunnel's own pings to the peer get answered (UDP preferred)
     * @param reason    why it is on that transport (the tunnel's words), or null
     * @param pmtu      the largest outer datagram known to cross over UDP (0: unknown)
     */
    record Status(Transport transport, String reason, int pmtu) {
        public static final Status NONE = new Status(Transport.NONE, "no tunnel to it", 0);
    }

    /** Whether the mesh has a password (then every peer's traffic is in the tunnel). */
    boolean passwordSet();

    /** Whether the tunnel can carry a peer's traffic (has its device). */
    boolean carries();

    /** The ifindex of the tunnel's device (0 if none). */
    int deviceIndex();

    /** The peers whose paths the tunnel keeps checking (pings over UDP and TCP) even without traffic. */
    void watch(Collection<InetAddress> peers);

    Status status(InetAddress peer);
}
