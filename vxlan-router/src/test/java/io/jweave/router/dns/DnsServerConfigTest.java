package io.jweave.router.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DnsServerConfigTest {

    @Test
    void resolvConfNameserversInOrderOnPort53() throws IOException {
        Path f = Files.createTempFile("jwt-resolv", ".conf");
        try {
            Files.writeString(f, """
                    # generated
                    search example.internal
                    nameserver 192.0.2.53
                    nameserver   2001:db8::53
                    ;nameserver 192.0.2.99
                    nameserver fe80::1%eth0
                    nameserver not-an-ip
                    options ndots:2
                    nameserver 198.51.100.53 # trailing comment
                    """);
            assertEquals(List.of(new InetSocketAddress("192.0.2.53", 53), new InetSocketAddress("2001:db8::53", 53),
                    new InetSocketAddress("198.51.100.53", 53)), DnsServerConfig.upstreamsFromResolvConf(f));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void missingOrEmptyResolvConfGivesNoUpstreams(@TempDir Path dir) throws IOException {
        assertEquals(List.of(), DnsServerConfig.upstreamsFromResolvConf(dir.resolve("nope")));
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, "search x\n");
        assertEquals(List.of(), DnsServerConfig.upstreamsFromResolvConf(f));
    }

    @Test
    void upstreamSpecs() {
        assertEquals(List.of(new InetSocketAddress("192.0.2.1", 53), new InetSocketAddress("192.0.2.2", 5353),
                new InetSocketAddress("2001:db8::1", 53), new InetSocketAddress("2001:db8::2", 54)),
                DnsServerConfig.parseUpstreams(List.of("192.0.2.1", "192.0.2.2:5353", "2001:db8::1", "[2001:db8::2]:54")));
        for (String bad : List.of("dns.example", "192.0.2.1:0", "192.0.2.1:70000", "192.0.2.1:x", "300.1.1.1", "",
                "[2001:db8::1", "192.0.2")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DnsServerConfig.parseUpstreams(List.of("192.0.2.9", bad)));
            assertTrue(e.getMessage().startsWith("invalid DNS upstream \"" + bad + "\""), e.getMessage());
        }
    }

    @Test
    void domainIsNormalisedAndChecked() {
        DnsServerConfig c = new DnsServerConfig("JWeave.Local.", 5, List.of(), Duration.ofSeconds(1));
        assertEquals("jweave.local", c.domain());
        assertThrows(IllegalArgumentException.class, () -> DnsServerConfig.of("a..b", 5, List.of()));
        assertThrows(IllegalArgumentException.class, () -> DnsServerConfig.of(".", 5, List.of()));
        assertThrows(IllegalArgumentException.class, () -> DnsServerConfig.of("x", -1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new DnsServerConfig("x", 5, List.of(), Duration.ZERO));
    }
}
