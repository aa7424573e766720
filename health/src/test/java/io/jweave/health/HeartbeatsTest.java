package io.jweave.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Two heartbeat endpoints on loopback addresses (127.0.0.1 and 127.0.0.2, the same port). */
class HeartbeatsTest {
    private static final Duration FAST = Duration.ofMillis(50);

    private static DatagramChannel bound(String ip, int port) throws Exception {
        DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
        c.bind(new InetSocketAddress(InetAddress.getByName(ip), port));
        return c;
    }

    private static void await(String what, java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void answeredHeartbeatsKeepThePathUsableAndAnUnansweredPeerFailsIt() throws Exception {
        DatagramChannel a = bound("127.0.0.1", 0);
        int port = ((InetSocketAddress) a.getLocalAddress()).getPort();
        DatagramChannel b = bound("127.0.0.2", port);
        InetAddress ipB = InetAddress.getByName("127.0.0.2");
        List<Heartbeats.Health> changes = new CopyOnWriteArrayList<>();
        try (Heartbeats ha = new Heartbeats(a, port, 1400, FAST, (before, now) -> changes.add(now));
             Heartbeats hb = new Heartbeats(b, port, 1400, FAST, null)) {
            ha.start();
            hb.start();
            ha.targets(List.of(ipB));
            await("answers from b", () -> {
                Heartbeats.Health h = ha.health().get(ipB);
                return h != null && h.rttMicros() >= 0 && h.answeredInRow() >= 5;
            });
            Heartbeats.Health h = ha.health().get(ipB);
            assertTrue(h.usable());
            assertEquals(0.0, h.loss(), 1e-9);
            assertTrue(h.everAnswered());
            assertTrue(ha.bytesSent() > 1400, "full-size heartbeats were sent: " + ha.bytesSent());
            hb.close(); // b stops answering
            await("the path to b failed", () -> !ha.health().get(ipB).usable());
            assertEquals(PathVerdict.Failure.BLOCKED, ha.health().get(ipB).failure());
            assertEquals(1, changes.size(), "one change reported: " + changes);
            assertFalse(changes.get(0).usable());
        }
    }

    @Test
    void malformedDatagramsAreCountedAndNotAnswered() throws Exception {
        DatagramChannel a = bound("127.0.0.1", 0);
        int port = ((InetSocketAddress) a.getLocalAddress()).getPort();
        try (Heartbeats ha = new Heartbeats(a, port, 1400, FAST, null);
             DatagramChannel probe = bound("127.0.0.3", 0)) {
            ha.start();
            probe.send(java.nio.ByteBuffer.wrap("hello".getBytes()), a.getLocalAddress());
            // a ping whose length field lies
            java.nio.ByteBuffer lie = java.nio.ByteBuffer.allocate(Heartbeats.HEADER);
            lie.putInt(Heartbeats.MAGIC).put(Heartbeats.VERSION).put(Heartbeats.PING).put((byte) 0).put((byte) 0)
                    .putInt(1).putLong(0).putShort((short) 999).flip();
            probe.send(lie, a.getLocalAddress());
            await("two malformed", () -> ha.malformed() == 2);
            probe.configureBlocking(false);
            Thread.sleep(200);
            assertEquals(null, probe.receive(java.nio.ByteBuffer.allocate(100)), "nothing answered");
        }
    }

    @Test
    void sizesOutOfRangeAreRefused() throws Exception {
        try (DatagramChannel c = bound("127.0.0.1", 0)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new Heartbeats(c, 1, 20, FAST, null));
            assertTrue(e.getMessage().contains("20 bytes"), e.getMessage());
        }
    }
}
