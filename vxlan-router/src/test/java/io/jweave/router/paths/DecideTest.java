package io.jweave.router.paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.health.Heartbeats;
import io.jweave.health.PathVerdict;
import java.net.InetAddress;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Which datapath a peer gets from its heartbeats and the tunnel's view of it. */
class DecideTest {
    private static final TunnelPaths.Status UDP = new TunnelPaths.Status(TunnelPaths.Transport.UDP, "udp answers", 1500);
    private static final TunnelPaths.Status TCP = new TunnelPaths.Status(TunnelPaths.Transport.TCP, "no answer over udp", 0);

    private static Heartbeats.Health health(boolean usable, PathVerdict.Failure f) throws Exception {
        return new Heartbeats.Health(InetAddress.getByName("198.51.100.2"), usable, f, 400, usable ? 0 : 1, Instant.now(),
                usable ? 0 : 1, usable ? 30 : 0, 20, true);
    }

    @Test
    void withoutAPasswordTheKernelPathWinsWhileItWorks() throws Exception {
        assertEquals(PeerPaths.Kind.VXLAN, PeerPaths.decide(false, health(true, null), UDP, 1450).kind());
        assertEquals(PeerPaths.Kind.VXLAN, PeerPaths.decide(false, null, TunnelPaths.Status.NONE, 1450).kind(),
                "no heartbeat yet: stay");
    }

    @Test
    void aFailedKernelPathMovesToWhatTheTunnelReaches() throws Exception {
        var blocked = PeerPaths.decide(false, health(false, PathVerdict.Failure.BLOCKED), UDP, 1450);
        assertEquals(PeerPaths.Kind.TUNNEL, blocked.kind());
        assertTrue(blocked.reason().contains("no heartbeat answered"), blocked.reason());
        var hole = PeerPaths.decide(false, health(false, PathVerdict.Failure.BLACK_HOLE), UDP, 1450);
        assertTrue(hole.reason().contains("1450") && hole.reason().contains("black hole"), hole.reason());
        assertEquals(PeerPaths.Kind.TCP, PeerPaths.decide(false, health(false, PathVerdict.Failure.BLOCKED), TCP, 1450).kind());
        assertEquals(PeerPaths.Kind.DOWN,
                PeerPaths.decide(false, health(false, PathVerdict.Failure.BLOCKED), TunnelPaths.Status.NONE, 1450).kind());
    }

    @Test
    void withAPasswordTheDatapathIsTheTunnelsTransport() throws Exception {
        assertEquals(PeerPaths.Kind.TUNNEL, PeerPaths.decide(true, health(true, null), UDP, 1390).kind());
        assertEquals(PeerPaths.Kind.TCP, PeerPaths.decide(true, health(false, PathVerdict.Failure.BLOCKED), TCP, 1390).kind());
        assertEquals(PeerPaths.Kind.DOWN, PeerPaths.decide(true, null, TunnelPaths.Status.NONE, 1390).kind());
    }
}
