package io.jweave.ipam;

import java.util.List;
import java.util.Optional;

/** A read-only, consistent copy of the IPAM state for status output. */
public record IpamSnapshot(Cidr autoRange, int autoPrefix, List<PoolStatus> pools) {

    public IpamSnapshot {
        pools = List.copyOf(pools);
    }

    /**
     * One pool. {@code usable}: addresses automatic allocation may hand out (range minus network
     * and broadcast, limited to the blocks this host owns); {@code free}: those not allocated;
     * {@code used}: all allocated addresses (specific ones outside the range included).
     */
    public record PoolStatus(String poolId, String addressSpace, Cidr pool, Optional<Cidr> subPool,
                             boolean automatic, long usable, long used, long free,
                             List<AllocationStatus> allocations) {
        public PoolStatus {
            allocations = List.copyOf(allocations);
        }

        /** The range addresses come from: the sub-pool if any, else the pool. */
        public Cidr range() {
            return subPool.orElse(pool);
        }
    }

    /** One allocated address; {@code name} is the endpoint name when Docker sent one. */
    public record AllocationStatus(Ipv4Address address, boolean gateway, boolean requested, Optional<String> name) {
    }
}
