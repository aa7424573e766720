package io.jweave.ipam;

/**
 * An IPv4 address as an unsigned 32-bit value held in a {@code long} (0 .. 2^32-1), so that
 * arithmetic and comparisons need no unsigned tricks.
 */
public record Ipv4Address(long value) implements Comparable<Ipv4Address> {

    public static final long MAX = 0xFFFF_FFFFL;

    public Ipv4Address {
        if (value < 0 || value > MAX) {
            throw new IllegalArgumentException("IPv4 address value out of range: " + value);
        }
    }

    /**
     * Parses strict dotted-quad notation: exactly four decimal octets 0..255, no leading zeros
     * (ambiguous: some tools read them as octal), no spaces, no prefix length.
     *
     * @throws IpamException (INVALID_REQUEST, or UNSUPPORTED for IPv6) naming the input
     */
    public static Ipv4Address parse(String text) {
        if (text == null || text.isEmpty()) {
            throw invalid(text, "empty");
        }
        if (text.indexOf(':') >= 0) {
            throw new IpamException(IpamException.Kind.UNSUPPORTED,
                    "invalid IPv4 address \"" + text + "\": jweave IPAM does not support IPv6 yet");
        }
        if (text.indexOf('/') >= 0) {
            throw invalid(text, "expected a plain address without a prefix length");
        }
        String reason = checkDottedQuad(text);
        if (reason != null) {
            throw invalid(text, reason);
        }
        return new Ipv4Address(parseDottedQuadUnchecked(text));
    }

    /** Returns null if {@code text} is a strict dotted quad, else a reason. */
    static String checkDottedQuad(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return "expected four dot-separated numbers (a.b.c.d)";
        }
        for (String part : parts) {
            if (part.isEmpty()) {
                return "empty number between dots";
            }
            if (part.length() > 3) {
                return "\"" + part + "\" is not a number between 0 and 255";
            }
            for (int i = 0; i < part.length(); i++) {
                char c = part.charAt(i);
                if (c < '0' || c > '9') {
                    return "\"" + part + "\" is not a number between 0 and 255";
                }
            }
            if (part.length() > 1 && part.charAt(0) == '0') {
                return "\"" + part + "\" has a leading zero";
            }
            if (Integer.parseInt(part) > 255) {
                return part + " is larger than 255";
            }
        }
        return null;
    }

    static long parseDottedQuadUnchecked(String text) {
        long v = 0;
        for (String part : text.split("\\.")) {
            v = (v << 8) | Integer.parseInt(part);
        }
        return v;
    }

    private static IpamException invalid(String text, String reason) {
        return new IpamException(IpamException.Kind.INVALID_REQUEST,
                "invalid IPv4 address \"" + text + "\": " + reason);
    }

    /** This address plus {@code delta} (may be negative). */
    public Ipv4Address plus(long delta) {
        return new Ipv4Address(value + delta);
    }

    @Override
    public int compareTo(Ipv4Address other) {
        return Long.compare(value, other.value);
    }

    @Override
    public String toString() {
        return ((value >>> 24) & 0xFF) + "." + ((value >>> 16) & 0xFF) + "."
                + ((value >>> 8) & 0xFF) + "." + (value & 0xFF);
    }
}
