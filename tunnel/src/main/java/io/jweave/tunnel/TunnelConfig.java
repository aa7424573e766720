package io.jweave.tunnel;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * @param listen      the UDP (and TCP) address the tunnel binds; with a TCP transport it must be this host's
 *                    underlay address, not a wildcard (peers are told apart by address)
 * @param peerPort    the UDP port peers' tunnels listen on (outer endpoint = inner destination, peerPort)
 * @param psk         the pre-shared key from the mesh password; null = no password (open or listen-only mode)
 * @param open        without a password: true = open mode (carries packets, sessions keyed by the published
 *                    {@link Psk#OPEN_MESH} key; needs a device), false = listen-only mode (no device: listens,
 *                    answers NO_PASSWORD, probes). Must be false with a psk.
 * @param rekeyAfter  session age after which its initiator rekeys (default 120 s); sessions are
 *                    refused after rekeyAfter + 60 s
 * @param deviceMtu   the MTU of the packet device (sizes the buffers)
 * @param underlayMtu the largest outer IPv4 datagram assumed to reach a peer until path MTU discovery says
 *                    otherwise (0 = 1500)
 * @param tcpPort     the TCP port of the TCP transport, ours and the peers' (0 = no TCP transport)
 */
public record TunnelConfig(InetSocketAddress listen, int peerPort, Psk psk, boolean open, Duration rekeyAfter,
                           int deviceMtu, int underlayMtu, int tcpPort) {
    public static final Duration DEFAULT_REKEY_AFTER = Duration.ofSeconds(120);
    public static final int DEFAULT_UNDERLAY_MTU = 1500;

    /** What a tunnel with this configuration does. */
    public enum Mode {
        /** A mesh password: carries packets in sessions keyed by the password. */
        PASSWORD,
        /** No password, but carries packets in sessions keyed by a published key (see README: passive eavesdroppers only). */
        OPEN,
        /** No password and no device: listens, answers NO_PASSWORD, probes. */
        LISTEN_ONLY
    }

    public TunnelConfig {
        Objects.requireNonNull(listen, "listen");
        if (peerPort < 1 || peerPort > 65535) {
            throw new IllegalArgumentException("peerPort " + peerPort);
        }
        if (psk != null && open) {
            throw new IllegalArgumentException("open mode is for a mesh without a password");
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
        if (underlayMtu == 0) {
            underlayMtu = DEFAULT_UNDERLAY_MTU;
        }
        if (underlayMtu < 576 || underlayMtu > 65535) {
            throw new IllegalArgumentException("underlayMtu " + underlayMtu);
        }
        if (tcpPort < 0 || tcpPort > 65535) {
            throw new IllegalArgumentException("tcpPort " + tcpPort);
        }
    }

    /** As before open mode: psk null = listen-only; underlay MTU 1500; no TCP transport. */
    public TunnelConfig(InetSocketAddress listen, int peerPort, Psk psk, Duration rekeyAfter, int deviceMtu) {
        this(listen, peerPort, psk, false, rekeyAfter, deviceMtu, DEFAULT_UNDERLAY_MTU, 0);
    }

    /** Open mode: no password, but carries packets (needs a device). */
    public static TunnelConfig openMode(InetSocketAddress listen, int peerPort, Duration rekeyAfter, int deviceMtu) {
        return new TunnelConfig(listen, peerPort, null, true, rekeyAfter, deviceMtu, DEFAULT_UNDERLAY_MTU, 0);
    }

    public TunnelConfig withUnderlayMtu(int mtu) {
        return new TunnelConfig(listen, peerPort, psk, open, rekeyAfter, deviceMtu, mtu, tcpPort);
    }

    public TunnelConfig withTcpPort(int port) {
        return new TunnelConfig(listen, peerPort, psk, open, rekeyAfter, deviceMtu, underlayMtu, port);
    }

    /** Has a mesh password. */
    public boolean encrypted() {
        return psk != null;
    }

    /** Carries packets (password or open mode): needs a packet device. */
    public boolean carries() {
        return psk != null || open;
    }

    public Mode mode() {
        return psk != null ? Mode.PASSWORD : open ? Mode.OPEN : Mode.LISTEN_ONLY;
    }
}
