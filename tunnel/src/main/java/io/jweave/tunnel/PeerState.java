package io.jweave.tunnel;

import java.net.InetAddress;
import java.time.Instant;

/**
 * A snapshot of one peer.
 *
 * @param established   a confirmed, unexpired session exists
 * @param since         when the current run of being established began (null if not)
 * @param lastHandshake when the last handshake completed (null if never)
 * @param refusedReason why the peer was refused (null if not refused)
 */
public record PeerState(InetAddress address, boolean established, Instant since, Instant lastHandshake, long rekeys,
                        long txPackets, long txBytes, long rxPackets, long rxBytes,
                        String refusedReason, Instant refusedAt) {}
