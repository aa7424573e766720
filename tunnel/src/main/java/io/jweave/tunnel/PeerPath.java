package io.jweave.tunnel;

import java.net.InetAddress;
import java.time.Instant;

/**
 * What the tunnel knows about the way to one watched peer ({@link Tunnel#watch}).
 *
 * @param transport     what data to the peer uses now: UDP if UDP answers, else TCP if TCP answers, else NONE
 *                      (data still goes over UDP)
 * @param udpUp         a PONG came over UDP within the last 3.5 s
 * @param tcpUp         a PONG came over TCP within the last 3.5 s
 * @param udpRttMicros  EWMA (1/8) of PING to PONG over UDP, in microseconds; -1 = none yet
 * @param tcpRttMicros  the same over TCP; -1 = none yet
 * @param udpLoss       the fraction of the last (up to 20) PINGs over UDP, sent at least 1 s ago, that got no PONG
 * @param pmtu          the largest outer IPv4 datagram known to reach the peer over UDP
 * @param since         when transport last changed
 * @param reason        why it last changed, e.g. "no answer over udp for 3.5 s"
 */
public record PeerPath(InetAddress peer, Transport transport, boolean udpUp, boolean tcpUp, long udpRttMicros,
                       long tcpRttMicros, double udpLoss, int pmtu, Instant since, String reason) {}
