package io.jweave.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PathState's decisions on a simulated clock: a network that answers PINGs up to a size, after an RTT. */
class PathStateTest {
    static final long MS = 1_000_000L;

    /** A simulated path: UDP answers pings whose size fits mtu (if up); TCP answers if tcpUp. */
    static final class Net {
        final PathState ps = new PathState(Packets.addr("192.0.2.1"), 1500);
        long now = 1_000_000_000L;
        int mtu = 1500;
        boolean udp = true;
        boolean tcp;
        final long rtt = 2 * MS;
        final List<long[]> inFlight = new ArrayList<>(); // {due, tcp, flags, id, sent, size}
        final List<PeerPath[]> changes = new ArrayList<>();

        void step(long millis) {
            for (long t = 0; t < millis; t += 50) {
                now += 50 * MS;
                for (int i = 0; i < inFlight.size(); i++) {
                    long[] f = inFlight.get(i);
                    if (f[0] <= now) {
                        ps.pong(now, f[1] == 1, (int) f[2], (int) f[3], f[4], (int) f[5]);
                        inFlight.remove(i--);
                    }
                }
                ps.tick(now, tcp, (isTcp, id, flags, size) -> {
                    int outer = size == 0 ? 80 : size;
                    boolean passes = isTcp ? tcp : udp && outer <= mtu;
                    if (passes) {
                        inFlight.add(new long[] {now + rtt, isTcp ? 1 : 0, flags, id, now, outer});
                    }
                });
                PeerPath[] c = ps.evaluate(now, true);
                if (c != null) {
                    changes.add(c);
                }
            }
        }
    }

    @Test
    void blackHoleDownInAboutFourSecondsAndUpAgainWithin30() {
        Net n = new Net();
        n.ps.watch(true, n.now);
        n.step(1000);
        assertEquals(Transport.UDP, n.ps.snapshot(n.now).transport());
        assertEquals(1500, n.ps.pmtu);
        n.mtu = 1400;
        long t0 = n.now;
        while (n.ps.pmtu > 1400) {
            n.step(50);
            assertTrue(n.now - t0 < 6000 * MS, "decided within 6 s");
        }
        double s = (n.now - t0) / 1e9;
        assertEquals(1400, n.ps.pmtu);
        assertTrue(s <= 5.0, "took " + s + " s");
        n.step(10_000);
        assertEquals(1400, n.ps.pmtu, "stays while the hole is there (upward probes fail)");
        n.mtu = 1500;
        t0 = n.now;
        while (n.ps.pmtu < 1500) {
            n.step(50);
            assertTrue(n.now - t0 < 31_000 * MS, "re-probed upward within 30 s");
        }
        n.mtu = 1345; // between candidates: rounded down to 1340
        n.step(6000);
        assertEquals(1340, n.ps.pmtu);
        assertEquals(Transport.UDP, n.ps.snapshot(n.now).transport(), "an MTU problem is no path change");
        assertEquals(1, n.changes.size());
    }

    @Test
    void aDeadPathIsNotAnMtuProblem() {
        Net n = new Net();
        n.ps.watch(true, n.now);
        n.step(2000);
        n.udp = false;
        n.step(20_000);
        assertEquals(1500, n.ps.pmtu);
        assertEquals(Transport.NONE, n.ps.snapshot(n.now).transport());
        n.udp = true;
        n.step(10_000);
        assertEquals(1500, n.ps.pmtu, "coming back is not a black hole either");
        assertEquals(Transport.UDP, n.ps.snapshot(n.now).transport());
    }

    @Test
    void transportsReasonsLossAndRtt() {
        Net n = new Net();
        n.ps.watch(true, n.now);
        n.tcp = true;
        n.step(1500);
        PeerPath p = n.ps.snapshot(n.now);
        assertEquals(Transport.UDP, p.transport());
        assertTrue(p.udpUp() && p.tcpUp());
        assertEquals(50_000, p.udpRttMicros(), "answers arrive at the next 50 ms step");
        assertEquals(50_000, p.tcpRttMicros());
        assertEquals(0.0, p.udpLoss());
        n.udp = false;
        long t0 = n.now;
        n.step(5000);
        PeerPath[] c = n.changes.get(n.changes.size() - 1);
        assertEquals(Transport.UDP, c[0].transport());
        assertEquals(Transport.TCP, c[1].transport());
        assertEquals("no answer over udp for 3.5 s; tcp answers", c[1].reason());
        long took = c[1].since().toEpochMilli(); // wall clock: only check the order of events
        assertNotNull(c[1].since());
        assertTrue(took > 0 && n.now - t0 >= 3500 * MS);
        double loss = n.ps.snapshot(n.now).udpLoss();
        assertEquals(4.0 / 6, loss, 1e-9, "2 answered, then 4 lost older than 1 s (the newest does not count yet)");
        n.tcp = false;
        n.step(4000);
        assertEquals(Transport.NONE, n.ps.snapshot(n.now).transport());
        assertEquals("no answer over tcp for 3.5 s; none over udp either", n.ps.snapshot(n.now).reason());
        n.step(20_000);
        assertEquals(1.0, n.ps.snapshot(n.now).udpLoss());
        n.udp = true;
        n.step(1200);
        assertEquals("udp answers again", n.ps.snapshot(n.now).reason());
        assertNull(n.ps.evaluate(n.now, true));
    }
}
