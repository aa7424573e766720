package io.jweave.netlink.nft;

import io.jweave.netlink.nl.NlRequest;

/**
 * One condition of a rule; a rule matches when all of its conditions do. Each is a load into a
 * register followed by a comparison, exactly what nft(8) generates for the same words.
 */
public sealed interface NftMatch permits NftMatch.IifName, NftMatch.L4Proto, NftMatch.Port, NftMatch.Unknown {
    int IPPROTO_TCP = 6;
    int IPPROTO_UDP = 17;

    /** {@code iifname == NAME} (equal) or {@code iifname != NAME}: the input interface's name. */
    record IifName(String name, boolean equal) implements NftMatch {
        public IifName {
            NlRequest.checkIfName(name);
        }
    }

    /** {@code meta l4proto N}: the transport protocol, IPv4 or IPv6. */
    record L4Proto(int proto) implements NftMatch {
        public L4Proto {
            if (proto < 0 || proto > 255) {
                throw new IllegalArgumentException("IP protocol " + proto + " out of range 0..255");
            }
        }
    }

    /** {@code th dport N} (destination) or {@code th sport N}: a port of the transport header. */
    record Port(boolean destination, int port) implements NftMatch {
        public Port {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " out of range 0..65535");
            }
        }
    }

    /** Read back only: expressions netlink-ffi does not model, by their kernel names. */
    record Unknown(String expressions) implements NftMatch {
    }

    static NftMatch iifname(String name) {
        return new IifName(name, true);
    }

    static NftMatch iifnameNot(String name) {
        return new IifName(name, false);
    }

    static NftMatch udp() {
        return new L4Proto(IPPROTO_UDP);
    }

    static NftMatch tcp() {
        return new L4Proto(IPPROTO_TCP);
    }

    static NftMatch dport(int port) {
        return new Port(true, port);
    }

    static NftMatch sport(int port) {
        return new Port(false, port);
    }
}
