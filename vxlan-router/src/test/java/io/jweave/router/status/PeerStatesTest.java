package io.jweave.router.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jweave.discovery.Peer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PeerStatesTest {

    @Test
    void statesFromMembershipRetainedEndpointsAndJoinTargets() {
        List<Peer> members = List.of(
                new Peer("h1", "198.51.100.11:6783", Peer.State.UP, true),
                new Peer("h2", "198.51.100.12:6783", Peer.State.UP, false),
                new Peer("h3", "198.51.100.13:6783", Peer.State.DOWN, false),
                new Peer("h4", "198.51.100.14:6783", Peer.State.DOWN, false));
        Map<String, String> dns = Map.of("host2:6783", "198.51.100.12:6783", "198.51.100.19:6783", "198.51.100.19:6783");
        List<StatusReport.Peer> out = RouterApi.peerStates(members, Set.of("h4"),
                List.of("host2:6783", "198.51.100.19:6783"), t -> dns.getOrDefault(t, t), n -> n.equals("h2") ? 1_700_000_000_000L : 0);
        assertEquals(List.of(
                new StatusReport.Peer("h1", "198.51.100.11:6783", "connected", true, null, false),
                new StatusReport.Peer("h2", "198.51.100.12:6783", "connected", false, "2023-11-14T22:13:20Z", true),
                new StatusReport.Peer("h3", "198.51.100.13:6783", "departed", false, null, false),
                new StatusReport.Peer("h4", "198.51.100.14:6783", "unreachable", false, null, false),
                new StatusReport.Peer(null, "198.51.100.19:6783", "connecting", false, null, true)), out);
    }

    @Test
    void refusedRoutersAreListedWithTheirReasonAndMembersSayWhetherEncrypted() {
        List<Peer> members = List.of(
                new Peer("h1", "198.51.100.11:6783", Peer.State.UP, true),
                new Peer("h2", "198.51.100.12:6783", Peer.State.UP, false),
                new Peer("h3", "198.51.100.13:6783", Peer.State.UP, false));
        java.time.Instant t = java.time.Instant.parse("2026-12-02T10:00:00Z");
        PeerSecurity sec = new PeerSecurity() {
            @Override
            public boolean passwordSet() {
                return true;
            }

            @Override
            public boolean encryptedWith(String ip) {
                return ip.equals("198.51.100.12");
            }

            @Override
            public Map<String, Refusal> refusals() {
                return Map.of("198.51.100.19", new Refusal("wrong password or none", t),
                        "198.51.100.20", new Refusal("it has no password", t),
                        "198.51.100.13", new Refusal("wrong password or none", t)); // stale: h3 is a member now
            }
        };
        List<StatusReport.Peer> out = RouterApi.peerStates(members, Set.of(), List.of("198.51.100.19:6783"),
                x -> x, n -> 0, sec);
        assertEquals(List.of(
                new StatusReport.Peer("h1", "198.51.100.11:6783", "connected", true, null, false, true, null),
                new StatusReport.Peer("h2", "198.51.100.12:6783", "connected", false, null, false, true, null),
                new StatusReport.Peer("h3", "198.51.100.13:6783", "connected", false, null, false, false, null),
                new StatusReport.Peer(null, "198.51.100.19:6783", "refused", false, t.toString(), true, false,
                        "wrong password or none"),
                new StatusReport.Peer(null, "198.51.100.20", "refused", false, t.toString(), false, false,
                        "it has no password")), out);
    }

    @Test
    void resolvesNamesAndLeavesWhatDoesNotResolve() {
        assertEquals("127.0.0.1:6783", RouterApi.resolve("localhost:6783"));
        assertEquals("198.51.100.12:7000", RouterApi.resolve("198.51.100.12:7000"));
        assertEquals("no-such-host.invalid:6783", RouterApi.resolve("no-such-host.invalid:6783"));
    }
}
