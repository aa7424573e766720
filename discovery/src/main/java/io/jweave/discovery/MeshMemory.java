package io.jweave.discovery;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What the mesh needs remembered across restarts; the router persists it (this module writes no
 * files). Calls come on the mesh's threads and should write atomically before returning.
 */
public interface MeshMemory {

    /** Known hosts: name → version (negative version = forgotten). Empty on first start. */
    Map<String, Long> knownHosts();

    void knownHostsChanged(Map<String, Long> hosts);

    /** Granted and released (tombstone) claims this host has voted on. */
    Collection<Claim> claims();

    void claimsChanged(Collection<Claim> claims);

    /** A memory that forgets everything on restart (tests, or routers without a data directory). */
    static MeshMemory inMemory() {
        return new MeshMemory() {
            private volatile Map<String, Long> hosts = Map.of();
            private volatile List<Claim> claims = List.of();

            @Override
            public Map<String, Long> knownHosts() {
                return hosts;
            }

            @Override
            public void knownHostsChanged(Map<String, Long> h) {
                hosts = Map.copyOf(h);
            }

            @Override
            public Collection<Claim> claims() {
                return claims;
            }

            @Override
            public void claimsChanged(Collection<Claim> c) {
                claims = List.copyOf(c);
            }
        };
    }
}
