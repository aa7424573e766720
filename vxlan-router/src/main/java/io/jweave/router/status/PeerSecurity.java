package io.jweave.router.status;

import java.time.Instant;
import java.util.Map;

/**
 * What the status API tells of the mesh's protection per peer: whether this router has a password,
 * whether its traffic with a peer is encrypted now, and which routers were refused and why.
 * Implemented by the router's encryption ({@code io.jweave.router.secure}); {@link #NONE} for a router
 * without one (tests, tools).
 */
public interface PeerSecurity {

    /** Whether this router runs with a password (everything between routers encrypted). */
    boolean passwordSet();

    /** Whether a tunnel session with the router at {@code ip} (an underlay address) is up now. */
    boolean encryptedWith(String ip);

    /** Routers refused by (or refusing) this one, by underlay address, and why; cleared when a session comes up. */
    Map<String, Refusal> refusals();

    /** Why a router at some address is not a member. */
    record Refusal(String reason, Instant since) {
    }

    /** A router without a password whose tunnel listener saw no refusal. */
    PeerSecurity NONE = new PeerSecurity() {
        @Override
        public boolean passwordSet() {
            return false;
        }

        @Override
        public boolean encryptedWith(String ip) {
            return false;
        }

        @Override
        public Map<String, Refusal> refusals() {
            return Map.of();
        }
    };
}
