package io.jweave.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JoinTargetsTest {

    @Test
    void normalizesHostsAndPorts() {
        assertEquals("198.51.100.11:6783", JoinTargets.normalize("198.51.100.11", 6783));
        assertEquals("198.51.100.11:7000", JoinTargets.normalize(" 198.51.100.11:7000 ", 6783));
        assertEquals("host2:6783", JoinTargets.normalize("host2", 6783));
        assertEquals("[2001:db8::1]:6783", JoinTargets.normalize("2001:db8::1", 6783));
        assertEquals("[2001:db8::1]:7000", JoinTargets.normalize("[2001:db8::1]:7000", 6783));
        assertEquals("2001:db8::1", JoinTargets.host("[2001:db8::1]:7000"));
        assertEquals(7000, JoinTargets.port("[2001:db8::1]:7000"));
    }

    @Test
    void refusesWhatCannotBeAPeer() {
        for (String bad : List.of("", " ", "a b", "host:0", "host:70000", "host:x", ":6783", "[::1", "[::1]x", "a,b", "http://x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JoinTargets.normalize(bad, 6783), bad);
            assertTrue(e.getMessage().contains("is not a peer"), e.getMessage());
        }
    }

    @Test
    void addAndRemoveAreIdempotentAndSeeThroughTheDefaultPort() {
        JoinTargets t = new JoinTargets(6783, List.of("198.51.100.11"));
        assertFalse(t.add("198.51.100.11:6783"));
        assertTrue(t.add("198.51.100.12"));
        assertEquals(List.of("198.51.100.11:6783", "198.51.100.12:6783"), t.list());
        assertTrue(t.remove("198.51.100.11:6783"));
        assertFalse(t.remove("198.51.100.11"));
        assertEquals(List.of("198.51.100.12:6783"), t.list());
    }
}
