package io.jweave.router.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerStoreTest {

    @Test
    void launchPeersPlusConnectedMinusForgottenSurviveARestart(@TempDir Path dir) {
        PeerStore s = new PeerStore(dir, 6783);
        List<String> launch = List.of("198.51.100.11", "198.51.100.12:6783");
        assertEquals(List.of("198.51.100.11:6783", "198.51.100.12:6783"), s.targets(launch));
        assertEquals("198.51.100.13:6783", s.connected("198.51.100.13"));
        s.forgotten("198.51.100.12");
        assertEquals(List.of("198.51.100.11:6783", "198.51.100.13:6783"), s.targets(launch));

        PeerStore again = new PeerStore(dir, 6783);                  // a restart reads peers.json
        assertEquals(List.of("198.51.100.11:6783", "198.51.100.13:6783"), again.targets(launch));
        again.connected("198.51.100.12");                             // connect undoes forget
        again.forgotten("198.51.100.13:6783");                        // forget undoes connect
        assertEquals(List.of("198.51.100.11:6783", "198.51.100.12:6783"), new PeerStore(dir, 6783).targets(launch));
    }
}
