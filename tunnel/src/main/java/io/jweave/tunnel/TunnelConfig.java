package io.jweave.tunnel;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * @param listen     the UDP address the tunnel binds
 * @param peerPort   the UDP port peers' tunnels listen on (outer endpoint = inner destination, peerPort)
 * @param psk        the pre-shared key; null = plaintext mode (listens, answers NO_PASSWORD, probes)
 * @param rekeyAfter session age after which its initiator rekeys (default 120 s); sessions are
 *                   refused after rekeyAfter + 60 s
 * @param deviceMtu  the MTU of the packet device (sizes the buffers)
 */
public record TunnelConfig(InetSocketAddress listen, int peerPort, Psk psk, Duration rekeyAfter, int deviceMtu) {
    public static final Duration DEFAULT_REKEY_AFTER = Duration.ofSeconds(120);

    public TunnelConfig {
        Objects.requireNonNull(listen, "listen");
        if (peerPort < 1 || peerPort > 65535) {
            throw new IllegalArgumentException("peerPort " + peerPort);
        }
        if (rekeyAfter == null) {
            rekeyAfter = DEFAULT_REKEY_AFTER;
        }
        if (rekeyAfter.isNegative() || rekeyAfter.isZero()) {
            throw new IllegalArgumentException("rekeyAfter must be positive");
        }
        if (deviceMtu < 576 || deviceMtu > 65535) {
            throw new IllegalArgumentException("deviceMtu " + deviceMtu);
        }
    }

    public boolean encrypted() {
        return psk != null;
    }
}
