package io.jweave.router.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DnsNamesTest {

    @Test
    void dockerNamesBecomeLowerCaseNamesInTheDomain() {
        assertEquals(Optional.of("web.jweave.local"), DnsNames.qualify("/Web", "jweave.local"));
        assertEquals(Optional.of("my_app.v2.jweave.local"), DnsNames.qualify("my_app.v2", ".jweave.local."));
        assertEquals(Optional.of("web.jweave.local"), DnsNames.qualify("web.jweave.local.", "jweave.local"));
        assertEquals(Optional.empty(), DnsNames.qualify("bad..name", "jweave.local"));
        assertEquals(Optional.empty(), DnsNames.qualify("-dash", "jweave.local"));
        assertEquals(Optional.empty(), DnsNames.qualify("a".repeat(64), "jweave.local"));
        assertEquals(Optional.empty(), DnsNames.qualify("", "jweave.local"));
    }

    @Test
    void ipv4InputIsCheckedWithAClearMessage() {
        assertEquals("10.32.0.5", DnsNames.ipv4(" 10.32.0.5 ").getHostAddress());
        var e = assertThrows(IllegalArgumentException.class, () -> DnsNames.ipv4("10.32.0.300"));
        assertTrue(e.getMessage().contains("\"10.32.0.300\" is not an IPv4 address"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DnsNames.ipv4("web"));
        assertThrows(IllegalArgumentException.class, () -> DnsNames.ipv4("::1"));
    }

    @Test
    void recordsRoundTripThroughTheirCodec() {
        NameRecord r = new NameRecord("blue", "100.64.0.2", List.of("web.jweave.local", "www.jweave.local"), "abc123");
        assertEquals(r, NameRecord.CODEC.decode(NameRecord.CODEC.encode(r)));
        NameRecord manual = new NameRecord("", "100.64.0.9", List.of("db.jweave.local"), "");
        assertEquals(manual, NameRecord.CODEC.decode(NameRecord.CODEC.encode(manual)));
        assertTrue(manual.manual());
        assertEquals(NameRecord.complete(3), NameRecord.CODEC.decode(NameRecord.CODEC.encode(NameRecord.complete(3))));
        assertThrows(IllegalArgumentException.class, () -> NameRecord.CODEC.decode("network=blue\n"));
    }
}
