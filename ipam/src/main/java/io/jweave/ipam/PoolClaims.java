package io.jweave.ipam;

import java.util.List;
import java.util.Map;

/**
 * The authority on which pools are taken beyond this host. {@link Ipam} always checks a new pool
 * against the pools it holds itself (under its own lock); a claim authority adds what other hosts
 * hold. The single-host implementation knows of no other hosts. A Hazelcast implementation (next
 * step) will make claims atomic cluster-wide (e.g. a map keyed by pool with putIfAbsent plus an
 * overlap scan), keep a locally replicated view for {@link #heldElsewhere()}, and decide how the
 * same cluster network on two hosts shares one pool (the {@code options} carry what it needs).
 */
public interface PoolClaims {

    /**
     * Claims {@code pool} for {@code poolId}. Called with the IPAM lock held, after the local
     * overlap check and before the state is written.
     *
     * @throws IpamException (POOL_OVERLAP or CLAIMED_ELSEWHERE) if another host holds an
     *         overlapping pool
     */
    void claim(String poolId, Cidr pool, Map<String, String> options);

    /** Gives the claim up. Idempotent. */
    void release(String poolId, Cidr pool);

    /** Pools held by other hosts, which automatic allocation must skip. Must answer locally. */
    List<Cidr> heldElsewhere();

    /** No other hosts: every claim succeeds, nothing is held elsewhere. */
    static PoolClaims singleHost() {
        return SingleHost.INSTANCE;
    }

    /** The single-host authority. */
    enum SingleHost implements PoolClaims {
        INSTANCE;

        @Override
        public void claim(String poolId, Cidr pool, Map<String, String> options) {
        }

        @Override
        public void release(String poolId, Cidr pool) {
        }

        @Override
        public List<Cidr> heldElsewhere() {
            return List.of();
        }
    }
}
