package io.jweave.tunnel;

import static io.jweave.tunnel.Pair.A;
import static io.jweave.tunnel.Pair.B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random and mutated datagrams never throw out of the receive path, and the pair keeps working. */
class WireFuzzTest {
    @Test
    void randomAndMutatedInputNeverThrows() throws Exception {
        int port = Packets.freePort("127.0.0.1", "127.0.0.2");
        try (UdpRelay relay = new UdpRelay("127.0.0.2", "127.0.0.1", new InetSocketAddress(B, port))) {
            MemDevice devA = new MemDevice();
            MemDevice devB = new MemDevice();
            Tunnel a = new Tunnel(new TunnelConfig(new InetSocketAddress(A, port), relay.port(), Pair.PSK, Duration.ofSeconds(120), 1500), devA, null);
            Tunnel b = new Tunnel(new TunnelConfig(new InetSocketAddress(B, port), port, Pair.PSK, Duration.ofSeconds(120), 1500), devB, null);
            a.start();
            b.start();
            try {
                byte[] pkt = Packets.numbered(A, B, 1, 300);
                devA.inject(pkt);
                assertArrayEquals(pkt, devB.take(5000));
                List<byte[]> seeds = new ArrayList<>(relay.seen); // an initiation, a keepalive, a data packet
                seeds.add(new byte[] {4, 1, 0, 0});
                seeds.add(new byte[] {4, 3, 0, 0});
                Random rnd = new Random(42);
                InetSocketAddress from = new InetSocketAddress(A, port);
                // Direct calls from this thread: b's receive thread is idle (nothing else is sent to b now).
                for (int i = 0; i < 200_000; i++) {
                    byte[] d;
                    if (i % 4 == 0) {
                        d = new byte[rnd.nextInt(100)];
                        rnd.nextBytes(d);
                        if (d.length > 0) {
                            d[0] = (byte) rnd.nextInt(6);
                        }
                    } else {
                        byte[] seed = seeds.get(rnd.nextInt(seeds.size()));
                        int len = rnd.nextInt(8) == 0 ? rnd.nextInt(seed.length + 20) : seed.length;
                        d = Arrays.copyOf(seed, len);
                        int flips = 1 + rnd.nextInt(3);
                        for (int f = 0; f < flips && len > 0; f++) {
                            d[rnd.nextInt(len)] ^= (byte) (1 << rnd.nextInt(8));
                        }
                    }
                    b.onDatagram(ByteBuffer.wrap(d), from); // must not throw
                    if (i % 20_000 == 0) {
                        Thread.sleep(1100); // let the notice/handshake rate limits refill now and then
                    }
                }
                TunnelStats s = b.stats();
                System.out.println("fuzz: " + s);
                assertTrue(s.getMalformed() > 0 && s.getForged() + s.getReplayed() + s.getUnknownSession() > 0);
                // still works
                byte[] pkt2 = Packets.numbered(A, B, 2, 300);
                devA.inject(pkt2);
                byte[] got;
                do {
                    got = devB.take(5000);
                } while (got != null && !Arrays.equals(got, pkt2));
                assertArrayEquals(pkt2, got);
            } finally {
                a.close();
                b.close();
            }
        }
    }
}
