package io.jweave.ipam;

import java.util.Objects;
import java.util.Optional;

/**
 * An IPv4 network: a network address with all host bits zero, and a prefix length 0..32.
 * Parsing is strict: {@code 10.1.2.5/24} is refused (as recent Docker daemons refuse
 * {@code --subnet 10.1.2.5/24} with "invalid subnet ...: it should be 10.1.2.0/24"), because silently
 * normalising would hand out a different network than the one the user typed.
 */
public record Cidr(Ipv4Address network, int prefix) implements Comparable<Cidr> {

    public Cidr {
        Objects.requireNonNull(network, "network");
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("prefix length out of range: " + prefix);
        }
        if ((network.value() & ~mask(prefix) & Ipv4Address.MAX) != 0) {
            throw new IllegalArgumentException(network + "/" + prefix + " has host bits set");
        }
    }

    /**
     * Parses {@code a.b.c.d/len} strictly.
     *
     * @throws IpamException INVALID_REQUEST naming the input (UNSUPPORTED for IPv6)
     */
    public static Cidr parse(String text) {
        if (text == null || text.isEmpty()) {
            throw invalid(text, "empty");
        }
        if (text.indexOf(':') >= 0) {
            throw new IpamException(IpamException.Kind.UNSUPPORTED,
                    "invalid CIDR \"" + text + "\": jweave IPAM does not support IPv6 pools yet");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw invalid(text, "missing prefix length (expected a.b.c.d/len)");
        }
        if (text.indexOf('/', slash + 1) >= 0) {
            throw invalid(text, "more than one '/'");
        }
        String addressPart = text.substring(0, slash);
        String prefixPart = text.substring(slash + 1);
        String reason = Ipv4Address.checkDottedQuad(addressPart);
        if (reason != null) {
            throw invalid(text, reason);
        }
        if (prefixPart.isEmpty() || prefixPart.length() > 2 || !prefixPart.chars().allMatch(Character::isDigit)
                || (prefixPart.length() > 1 && prefixPart.charAt(0) == '0')) {
            throw invalid(text, "prefix length \"" + prefixPart + "\" is not a number between 0 and 32");
        }
        int prefix = Integer.parseInt(prefixPart);
        if (prefix > 32) {
            throw invalid(text, "prefix length " + prefix + " is larger than 32");
        }
        long address = Ipv4Address.parseDottedQuadUnchecked(addressPart);
        long network = address & mask(prefix);
        if (network != address) {
            Cidr suggestion = new Cidr(new Ipv4Address(network), prefix);
            throw new IpamException(IpamException.Kind.INVALID_REQUEST,
                    "\"" + text + "\" is not a network address (host bits are set), did you mean "
                            + suggestion + "?");
        }
        return new Cidr(new Ipv4Address(network), prefix);
    }

    private static IpamException invalid(String text, String reason) {
        return new IpamException(IpamException.Kind.INVALID_REQUEST,
                "invalid CIDR \"" + text + "\": " + reason);
    }

    /** The network of length {@code prefix} containing {@code address} (host bits cleared). */
    public static Cidr containing(Ipv4Address address, int prefix) {
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("prefix length out of range: " + prefix);
        }
        return new Cidr(new Ipv4Address(address.value() & mask(prefix)), prefix);
    }

    /** The netmask of a prefix length as an unsigned value. */
    public static long mask(int prefix) {
        return prefix == 0 ? 0 : (Ipv4Address.MAX << (32 - prefix)) & Ipv4Address.MAX;
    }

    /** Number of addresses, network and broadcast included (2^(32-prefix)). */
    public long size() {
        return 1L << (32 - prefix);
    }

    /** The first address (the network address). */
    public Ipv4Address first() {
        return network;
    }

    /** The last address (the broadcast address for prefixes up to /30). */
    public Ipv4Address last() {
        return new Ipv4Address(network.value() + size() - 1);
    }

    public boolean contains(Ipv4Address address) {
        return address.value() >= network.value() && address.value() <= last().value();
    }

    /** True if every address of {@code other} is in this network. */
    public boolean contains(Cidr other) {
        return other.prefix >= prefix && contains(other.network);
    }

    /** True if the two networks share at least one address (for CIDRs: one contains the other). */
    public boolean overlaps(Cidr other) {
        return contains(other.network) || other.contains(network);
    }

    /** The address at {@code offset} from the network address (0 = network address). */
    public Ipv4Address addressAt(long offset) {
        if (offset < 0 || offset >= size()) {
            throw new IllegalArgumentException("offset " + offset + " outside " + this);
        }
        return new Ipv4Address(network.value() + offset);
    }

    /** Offset of {@code address} from the network address; the address must be inside. */
    public long offsetOf(Ipv4Address address) {
        if (!contains(address)) {
            throw new IllegalArgumentException(address + " outside " + this);
        }
        return address.value() - network.value();
    }

    /** The network of the same size right after this one, or empty at the end of the address space. */
    public Optional<Cidr> next() {
        long after = network.value() + size();
        return after > Ipv4Address.MAX ? Optional.empty() : Optional.of(new Cidr(new Ipv4Address(after), prefix));
    }

    /** Orders by network address, then shorter prefix first. */
    @Override
    public int compareTo(Cidr other) {
        int c = network.compareTo(other.network);
        return c != 0 ? c : Integer.compare(prefix, other.prefix);
    }

    @Override
    public String toString() {
        return network + "/" + prefix;
    }
}
