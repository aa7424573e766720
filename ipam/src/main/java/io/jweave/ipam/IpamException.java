package io.jweave.ipam;

import java.util.Objects;

/**
 * An error a user (or Docker on a user's behalf) can cause: an invalid request, an overlap, an
 * exhausted pool. The message is meant for the person who typed the {@code docker} command; the
 * plugin layer passes it through unchanged (HTTP 500 + {@code {"Err": message}}).
 */
public class IpamException extends RuntimeException {

    /** What kind of refusal this is, so callers can map it without parsing the message. */
    public enum Kind {
        /** Malformed input: a CIDR or address that does not parse, an unknown option. */
        INVALID_REQUEST,
        /** Something jweave does not do (yet), e.g. IPv6. */
        UNSUPPORTED,
        /** The requested pool overlaps a pool already held. */
        POOL_OVERLAP,
        /** No automatic pool or no free address left. */
        EXHAUSTED,
        /** A PoolID this IPAM never issued or has already released. */
        UNKNOWN_POOL,
        /** A specific address is already allocated (or is the network/broadcast address). */
        ADDRESS_IN_USE,
        /** A specific address lies outside the pool. */
        OUT_OF_RANGE,
        /** Another host holds the pool or the address block (multi-host claim authorities). */
        CLAIMED_ELSEWHERE
    }

    private final Kind kind;

    public IpamException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public IpamException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
