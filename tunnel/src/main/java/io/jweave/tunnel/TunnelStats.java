package io.jweave.tunnel;

/** A snapshot of the tunnel's counters. */
public record TunnelStats(
        long txPackets, long txBytes, long rxPackets, long rxBytes,
        long malformed, long replayed, long forged, long unknownSession, long expired,
        long handshakesInitiated, long handshakesCompleted, long handshakeFailures, long handshakesRateLimited,
        long rekeys, long queueDrops, long noticesSent, long noticesReceived, long sendErrors,
        long fragmented, long reassembled, long fragmentDrops, long pingsSent, long pongsReceived,
        long tcpConnections, long tcpTxFrames, long tcpRxFrames, long spoofed) {

    public long getTxPackets() { return txPackets; }
    public long getTxBytes() { return txBytes; }
    public long getRxPackets() { return rxPackets; }
    public long getRxBytes() { return rxBytes; }
    /** Packets that do not parse (from the socket, from the device, or inner packets that are not IPv4). */
    public long getMalformed() { return malformed; }
    /** Transport packets whose counter was already seen or is older than the replay window. */
    public long getReplayed() { return replayed; }
    /** Transport packets that failed authentication. */
    public long getForged() { return forged; }
    /** Transport packets or responses for a receiver index we do not have. */
    public long getUnknownSession() { return unknownSession; }
    /** Transport packets for a session past rekeyAfter + 60 s. */
    public long getExpired() { return expired; }
    public long getHandshakesInitiated() { return handshakesInitiated; }
    public long getHandshakesCompleted() { return handshakesCompleted; }
    /** Responses that failed to authenticate, initiations that failed to parse. */
    public long getHandshakeFailures() { return handshakeFailures; }
    public long getHandshakesRateLimited() { return handshakesRateLimited; }
    /** Confirmed sessions that replaced a usable one. */
    public long getRekeys() { return rekeys; }
    /** Outbound packets dropped: queue full, or the handshake gave up. */
    public long getQueueDrops() { return queueDrops; }
    public long getNoticesSent() { return noticesSent; }
    public long getNoticesReceived() { return noticesReceived; }
    public long getSendErrors() { return sendErrors; }
    /** Inner packets sent in fragments (larger than the peer's path MTU allows in one datagram). */
    public long getFragmented() { return fragmented; }
    /** Inner packets put back together from fragments. */
    public long getReassembled() { return reassembled; }
    /** Fragments or partly reassembled packets dropped: inconsistent, timed out (2 s) or over the limits. */
    public long getFragmentDrops() { return fragmentDrops; }
    public long getPingsSent() { return pingsSent; }
    public long getPongsReceived() { return pongsReceived; }
    /** TCP transport connections established (connected or accepted). */
    public long getTcpConnections() { return tcpConnections; }
    public long getTcpTxFrames() { return tcpTxFrames; }
    public long getTcpRxFrames() { return tcpRxFrames; }

    /** Opened inner packets whose source address was not the peer's (dropped). */
    public long getSpoofed() { return spoofed; }
}
