package io.jweave.tunnel;

/** A snapshot of the tunnel's counters. */
public record TunnelStats(
        long txPackets, long txBytes, long rxPackets, long rxBytes,
        long malformed, long replayed, long forged, long unknownSession, long expired,
        long handshakesInitiated, long handshakesCompleted, long handshakeFailures, long handshakesRateLimited,
        long rekeys, long queueDrops, long noticesSent, long noticesReceived, long sendErrors) {

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
}
