package io.jweave.ipam;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CidrTest {

    @Test
    void parsesAndFormats() {
        Cidr c = Cidr.parse("100.64.10.0/24");
        assertEquals("100.64.10.0", c.network().toString());
        assertEquals(24, c.prefix());
        assertEquals("100.64.10.0/24", c.toString());
        assertEquals(256, c.size());
        assertEquals("100.64.10.255", c.last().toString());
        assertEquals("0.0.0.0/0", Cidr.parse("0.0.0.0/0").toString());
        assertEquals(1L << 32, Cidr.parse("0.0.0.0/0").size());
        assertEquals("255.255.255.255/32", Cidr.parse("255.255.255.255/32").toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "10.1.2.300/24   | invalid CIDR \"10.1.2.300/24\": 300 is larger than 255",
            "10.1.2.0        | invalid CIDR \"10.1.2.0\": missing prefix length",
            "10.1.2.0/33     | invalid CIDR \"10.1.2.0/33\": prefix length 33 is larger than 32",
            "10.1.2.0/       | invalid CIDR \"10.1.2.0/\": prefix length \"\" is not a number",
            "10.1.2.0/2x     | invalid CIDR \"10.1.2.0/2x\": prefix length \"2x\"",
            "10.1.2.0/024    | invalid CIDR \"10.1.2.0/024\": prefix length \"024\"",
            "10.1.2/24       | invalid CIDR \"10.1.2/24\": expected four dot-separated numbers",
            "10.1.2.0.0/24   | invalid CIDR \"10.1.2.0.0/24\": expected four dot-separated numbers",
            "10..2.0/24      | invalid CIDR \"10..2.0/24\": empty number between dots",
            "010.1.2.0/24    | invalid CIDR \"010.1.2.0/24\": \"010\" has a leading zero",
            "10.1.2.0/24/8   | invalid CIDR \"10.1.2.0/24/8\": more than one '/'",
            "a.b.c.d/24      | invalid CIDR \"a.b.c.d/24\": \"a\" is not a number",
            "10.1.2.5/24     | \"10.1.2.5/24\" is not a network address (host bits are set), did you mean 10.1.2.0/24?",
            "100.64.10.7/16  | did you mean 100.64.0.0/16?",
    })
    void refusesInvalidCidrsNamingTheInput(String input, String expected) {
        IpamException e = assertThrows(IpamException.class, () -> Cidr.parse(input));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(IpamException.Kind.INVALID_REQUEST, e.kind());
    }

    @Test
    void refusesEmptyAndSpaces() {
        assertThrows(IpamException.class, () -> Cidr.parse(""));
        assertThrows(IpamException.class, () -> Cidr.parse(null));
        assertThrows(IpamException.class, () -> Cidr.parse(" 10.1.2.0/24"));
        assertThrows(IpamException.class, () -> Cidr.parse("10.1.2.0/24 "));
        assertThrows(IpamException.class, () -> Cidr.parse("10.1.2.0/+4"));
    }

    @Test
    void ipv6IsUnsupported() {
        IpamException e = assertThrows(IpamException.class, () -> Cidr.parse("fd00::/64"));
        assertEquals(IpamException.Kind.UNSUPPORTED, e.kind());
        assertTrue(e.getMessage().contains("does not support IPv6"), e.getMessage());
    }

    @Test
    void addressParsingIsStrict() {
        assertEquals("100.64.0.1", Ipv4Address.parse("100.64.0.1").toString());
        assertEquals(0xFFFF_FFFFL, Ipv4Address.parse("255.255.255.255").value());
        IpamException e = assertThrows(IpamException.class, () -> Ipv4Address.parse("100.64.0.1/24"));
        assertTrue(e.getMessage().startsWith("invalid IPv4 address \"100.64.0.1/24\""), e.getMessage());
        assertThrows(IpamException.class, () -> Ipv4Address.parse("100.64.0.256"));
        assertThrows(IpamException.class, () -> Ipv4Address.parse("100.64.0"));
        assertThrows(IpamException.class, () -> Ipv4Address.parse("100.64.0.01"));
        assertEquals(IpamException.Kind.UNSUPPORTED, assertThrows(IpamException.class,
                () -> Ipv4Address.parse("fd00::1")).kind());
    }

    @Test
    void containsAndOverlaps() {
        Cidr big = Cidr.parse("100.64.0.0/16");
        Cidr small = Cidr.parse("100.64.10.0/24");
        Cidr other = Cidr.parse("100.65.0.0/24");
        assertTrue(big.contains(small));
        assertFalse(small.contains(big));
        assertTrue(big.overlaps(small));
        assertTrue(small.overlaps(big));
        assertTrue(small.overlaps(small));
        assertFalse(big.overlaps(other));
        assertTrue(small.contains(Ipv4Address.parse("100.64.10.255")));
        assertFalse(small.contains(Ipv4Address.parse("100.64.11.0")));
        assertFalse(small.contains(Ipv4Address.parse("100.64.9.255")));
        assertTrue(Cidr.parse("0.0.0.0/0").overlaps(other));
        // adjacent networks do not overlap
        assertFalse(Cidr.parse("100.64.0.0/25").overlaps(Cidr.parse("100.64.0.128/25")));
    }

    @Test
    void arithmetic() {
        Cidr c = Cidr.parse("100.64.10.0/29");
        assertEquals(8, c.size());
        assertEquals("100.64.10.5", c.addressAt(5).toString());
        assertEquals(7, c.offsetOf(Ipv4Address.parse("100.64.10.7")));
        assertEquals("100.64.10.8/29", c.next().orElseThrow().toString());
        assertTrue(Cidr.parse("255.255.255.0/24").next().isEmpty());
        assertEquals("100.64.10.0/24", Cidr.containing(Ipv4Address.parse("100.64.10.77"), 24).toString());
        assertThrows(IllegalArgumentException.class, () -> c.addressAt(8));
        assertThrows(IllegalArgumentException.class, () -> new Cidr(Ipv4Address.parse("10.0.0.1"), 24));
        assertEquals(0xFFFF_FF00L, Cidr.mask(24));
        assertEquals(0, Cidr.mask(0));
        assertEquals(0xFFFF_FFFFL, Cidr.mask(32));
    }
}
