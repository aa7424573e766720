/**
 * The router's DNS server core: names of containers on jweave networks, scoped per network, and
 * forwarding of every other name to the host's resolvers.
 *
 * <ul>
 *   <li>{@link io.jweave.router.dns.DnsServer}: Netty epoll event loops of its own; {@code listen(network, address)}
 *       binds UDP (one SO_REUSEPORT socket per loop, recvmmsg) and TCP (2-byte length framing, several
 *       queries per connection, 10 s idle timeout, at most 256 connections) in the network namespace of the
 *       calling thread. Forwarding sockets live in the namespace that constructed the server.</li>
 *   <li>{@link io.jweave.router.dns.DnsRegistry}: where names come from (implemented by the router from the
 *       mesh's DNS table); the server asks {@code scope(network, client)} then {@code addresses} or
 *       {@code names}.</li>
 *   <li>Answers (all in {@code Answerer}): A for names in the domain (case-insensitive, trailing dot or not)
 *       and for single-label names found as {@code label.<domain>}, all addresses in a fresh random order per
 *       reply, TTL from the configuration; NODATA (NOERROR, no answer) for other types of a known name;
 *       NXDOMAIN for unknown names in the domain; a synthesized SOA of the domain in the authority section of
 *       negative answers (negative TTL = TTL); PTR for registered addresses. Everything else, including
 *       unknown single-label names and PTR of other addresses, goes to the upstreams ({@code Forwarder}):
 *       fresh random ID, answer accepted only from the upstream asked, next upstream after the timeout,
 *       SERVFAIL when none answered, TCP upstream when the client used TCP or the upstream set TC.</li>
 *   <li>Answers larger than the client's UDP limit (512, or its EDNS0 size capped at 1232) carry TC and as
 *       many records as fit; the full answer comes over TCP.</li>
 *   <li>Malformed messages (short header, responses, QDCOUNT != 1, bad names or pointers, records past the
 *       end) are dropped or answered FORMERR and counted in {@link io.jweave.router.dns.DnsStats#malformed()}.</li>
 *   <li>{@code DnsWire}: the hand-written parser and writers of the wire format; netty-codec-dns supplies the
 *       constants and, in the tests, the independent decoder of what the server sends.</li>
 * </ul>
 */
package io.jweave.router.dns;
