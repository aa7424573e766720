package io.jweave.ipam;

import java.util.Objects;

/**
 * Answer to {@link Ipam#requestAddress}: the address with the POOL's prefix length, which is what
 * Docker puts on the container interface ({@code "Address": "100.64.10.7/24"}).
 */
public record AddressGrant(String poolId, Ipv4Address address, int prefixLength) {
    public AddressGrant {
        Objects.requireNonNull(poolId, "poolId");
        Objects.requireNonNull(address, "address");
    }

    /** {@code a.b.c.d/len}, the string for Docker's RequestAddress response. */
    public String cidrNotation() {
        return address + "/" + prefixLength;
    }

    @Override
    public String toString() {
        return cidrNotation();
    }
}
