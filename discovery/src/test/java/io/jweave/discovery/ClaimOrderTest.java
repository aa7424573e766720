package io.jweave.discovery;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The deterministic merge order of claims, and the record codecs. */
class ClaimOrderTest {

    @Test
    void mergeOrderIsDeterministicAndSymmetric() {
        Claim g1a = new Claim("k", "a", 1, 100);
        Claim g1b = new Claim("k", "b", 1, 50);
        Claim rel1 = new Claim("k", null, 1, 200);
        Claim g2c = new Claim("k", "c", 2, 10);
        assertSame(g1b, Claim.winner(g1a, g1b), "earlier grant wins at equal generation");
        assertSame(g1b, Claim.winner(g1b, g1a));
        assertSame(rel1, Claim.winner(g1a, rel1), "a release (or reclaim) beats the grant it ended");
        assertSame(rel1, Claim.winner(rel1, g1b));
        assertSame(g2c, Claim.winner(rel1, g2c), "a later generation beats everything before it");
        assertSame(g2c, Claim.winner(g1a, g2c));
        Claim tieA = new Claim("k", "a", 3, 7), tieB = new Claim("k", "b", 3, 7);
        assertSame(tieA, Claim.winner(tieB, tieA), "then the smaller host name");
        assertEquals(g1a, Claim.decode(g1a.encode()));
        assertEquals(rel1, Claim.decode(rel1.encode()));
    }

    @Test
    void codecsRoundTripAwkwardStrings() {
        EndpointRecord e = new EndpointRecord("blue,green", "100.64.0.2", "02:42:00:00:00:02", "h\\1", "198.51.100.2",
                "web\n1", List.of("a,b", "", "c\\"));
        assertEquals(e, EndpointRecord.CODEC.decode(EndpointRecord.CODEC.encode(e)));
        NetworkRecord n = new NetworkRecord(4242, "100.64.0.0/24", "", Map.of("mtu", "1400", "k,=", "v\n"), "a");
        assertEquals(n, NetworkRecord.CODEC.decode(NetworkRecord.CODEC.encode(n)));
        PeerInfo p = new PeerInfo("198.51.100.2", "198.51.100.2", "0.1.0", List.of());
        assertEquals(p, PeerInfo.CODEC.decode(PeerInfo.CODEC.encode(p)));
    }
}
