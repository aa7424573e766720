package io.jweave.router.dns;

import java.net.Inet4Address;
import java.util.List;
import java.util.Set;

/**
 * What the DNS server asks about names. Implemented by the router from the mesh's DNS table
 * (records published by the host that owns each container, plus manual {@code jweave dns-add} records).
 *
 * <p>Names are lower-case, fully qualified in the jweave domain, without the trailing dot
 * ({@code web.jweave.local}). Networks are cluster network names. Calls come from the DNS event loop:
 * they must be fast and must not block (read local replicated maps only).
 */
public interface DnsRegistry {

    /**
     * The networks whose names a client may see: every jweave network of the container that has address
     * {@code client} on {@code network} (a container on blue and red sees both), or just {@code network}
     * when the client is not a known container.
     */
    Set<String> scope(String network, Inet4Address client);

    /** Addresses registered under {@code fqdn} on any of {@code networks} (plus global manual records). */
    List<Inet4Address> addresses(String fqdn, Set<String> networks);

    /** Names registered for {@code address} on any of {@code networks} (plus global manual records), for PTR. */
    List<String> names(Inet4Address address, Set<String> networks);
}
