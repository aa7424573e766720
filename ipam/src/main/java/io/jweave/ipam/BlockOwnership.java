package io.jweave.ipam;

import java.util.List;
import java.util.Optional;

/**
 * Which parts of a pool's allocation range this host may hand out addresses from without asking
 * anyone. Automatic allocation searches only the owned blocks; when they are full it asks for one
 * more. Single host: the whole range is one block owned here. Multi-host (next step): a range is
 * cut into fixed-size blocks claimed atomically through the cluster, so that allocation stays
 * host-local in steady state and no address is ever handed out by two hosts.
 */
public interface BlockOwnership {

    /**
     * The blocks of {@code range} (the pool, or its sub-pool) this host owns for {@code poolId},
     * in the order to allocate from. Must answer locally (no cluster round trip).
     */
    List<Cidr> ownedBlocks(String poolId, Cidr range);

    /**
     * All owned blocks are full: try to obtain one more block of {@code range}.
     *
     * @return the new block (then also returned by {@link #ownedBlocks}), or empty if none is free
     */
    Optional<Cidr> acquireBlock(String poolId, Cidr range);

    /**
     * A specific address was requested ({@code --ip}, {@code --gateway}, an aux address). Single
     * host: always allowed. Multi-host: refuse (CLAIMED_ELSEWHERE) or record a cluster-wide claim
     * if the address lies in a block another host owns.
     */
    void checkSpecific(String poolId, Cidr pool, Ipv4Address address);

    /** The pool was released on this host: give its blocks back. Idempotent. */
    void poolReleased(String poolId);

    /** This host owns every range entirely. */
    static BlockOwnership wholeRange() {
        return WholeRange.INSTANCE;
    }

    /** The single-host ownership: one block, the whole range. */
    enum WholeRange implements BlockOwnership {
        INSTANCE;

        @Override
        public List<Cidr> ownedBlocks(String poolId, Cidr range) {
            return List.of(range);
        }

        @Override
        public Optional<Cidr> acquireBlock(String poolId, Cidr range) {
            return Optional.empty();
        }

        @Override
        public void checkSpecific(String poolId, Cidr pool, Ipv4Address address) {
        }

        @Override
        public void poolReleased(String poolId) {
        }
    }
}
