package io.jweave.ipam;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * jweave's IPAM: pools and addresses, answering the calls of Docker's IpamDriver API from local
 * state. Every change is persisted through an {@link IpamStore} before the call returns; a new
 * instance on the same store continues where the old one stopped.
 *
 * <p>IPv4 only. Thread-safe: one lock serialises all operations (an operation is a few bit
 * operations plus one small state write). Who else holds pools and which address blocks this host
 * may use are asked of a {@link PoolClaims} and a {@link BlockOwnership} (single-host versions by
 * default), so that a cluster can plug in there without changing the allocator.
 */
public final class Ipam {

    private static final Logger log = LoggerFactory.getLogger(Ipam.class);

    /** Range automatic pools are cut from unless configured otherwise (Weave's default too). */
    public static final Cidr DEFAULT_AUTO_RANGE = Cidr.parse("10.32.0.0/12");
    /** Prefix length of automatic pools unless configured otherwise. */
    public static final int DEFAULT_AUTO_PREFIX = 24;

    /** Answer for GetDefaultAddressSpaces, LocalDefaultAddressSpace. */
    public static final String LOCAL_ADDRESS_SPACE = "jweave-local";
    /** Answer for GetDefaultAddressSpaces, GlobalDefaultAddressSpace. */
    public static final String GLOBAL_ADDRESS_SPACE = "jweave-global";
    /** Both spaces share one set of non-overlapping pools: there is one overlay. */
    public static final Set<String> ADDRESS_SPACES = Set.of(LOCAL_ADDRESS_SPACE, GLOBAL_ADDRESS_SPACE);

    /** RequestAddress option Docker sets when asking for the network gateway ... */
    public static final String REQUEST_ADDRESS_TYPE_OPTION = "RequestAddressType";
    /** ... with this value. */
    public static final String GATEWAY_ADDRESS_TYPE = "com.docker.network.gateway";
    /** RequestAddress option with the endpoint (container) name, sent by Docker ≥ 29. */
    public static final String ENDPOINT_NAME_OPTION = "com.docker.network.endpoint.name";

    /** RequestPool option ({@code --ipam-opt jweave.subnet-size=26}): prefix length of an automatic pool. */
    public static final String SUBNET_SIZE_OPTION = "jweave.subnet-size";
    /** Options from Docker itself (e.g. {@code com.docker.network.ipam.serial}) are accepted and ignored. */
    public static final String DOCKER_OPTION_PREFIX = "com.docker.";

    /** Pools smaller than /30 have no usable address besides network and broadcast. */
    public static final int SMALLEST_POOL_PREFIX = 30;
    /** Pools larger than /8 are refused (they would shadow most of the address space). */
    public static final int LARGEST_POOL_PREFIX = 8;

    private final Cidr autoRange;
    private final int autoPrefix;
    private final Supplier<List<Cidr>> hostRoutes;
    private final IpamStore store;
    private final PoolClaims claims;
    private final BlockOwnership blocks;

    private final Object lock = new Object();
    /** Pools by PoolID. Guarded by {@link #lock}. */
    private final Map<String, PoolEntry> pools = new LinkedHashMap<>();
    /** Serial for the next PoolID. Guarded by {@link #lock}. */
    private long nextSerial;

    /** A single-host IPAM. */
    public Ipam(Cidr autoRange, int autoPrefix, Supplier<List<Cidr>> hostRoutes, IpamStore store) {
        this(autoRange, autoPrefix, hostRoutes, store, PoolClaims.singleHost(), BlockOwnership.wholeRange());
    }

    /**
     * @param autoRange  range automatic pools are cut from (e.g. {@link #DEFAULT_AUTO_RANGE})
     * @param autoPrefix prefix length of automatic pools (e.g. {@link #DEFAULT_AUTO_PREFIX})
     * @param hostRoutes the host's routes/addresses; automatic pools avoid them (default routes,
     *                   prefix 0, are ignored). Called once per automatic pool request.
     * @param store      where the state lives; loaded here
     * @param claims     who else holds pools
     * @param blocks     which address blocks this host may allocate from
     * @throws IpamStoreException if the stored state cannot be read or is inconsistent
     */
    public Ipam(Cidr autoRange, int autoPrefix, Supplier<List<Cidr>> hostRoutes, IpamStore store,
                PoolClaims claims, BlockOwnership blocks) {
        this.autoRange = Objects.requireNonNull(autoRange, "autoRange");
        this.hostRoutes = Objects.requireNonNull(hostRoutes, "hostRoutes");
        this.store = Objects.requireNonNull(store, "store");
        this.claims = Objects.requireNonNull(claims, "claims");
        this.blocks = Objects.requireNonNull(blocks, "blocks");
        if (autoPrefix < Math.max(autoRange.prefix(), LARGEST_POOL_PREFIX) || autoPrefix > SMALLEST_POOL_PREFIX) {
            throw new IllegalArgumentException("automatic pool size /" + autoPrefix + " does not fit range " + autoRange
                    + " (must be between /" + Math.max(autoRange.prefix(), LARGEST_POOL_PREFIX) + " and /"
                    + SMALLEST_POOL_PREFIX + ")");
        }
        this.autoPrefix = autoPrefix;
        IpamState state = store.load().orElse(IpamState.empty());
        restore(state);
        log.info("IPAM ready: {} pool(s) restored from {}, automatic pools /{} from {}",
                pools.size(), store, autoPrefix, autoRange);
    }

    // ------------------------------------------------------------------------------------------
    // RequestPool / ReleasePool

    /**
     * Docker's RequestPool.
     *
     * @param addressSpace {@link #LOCAL_ADDRESS_SPACE} or {@link #GLOBAL_ADDRESS_SPACE}
     * @param pool         {@code --subnet}, or empty/null for an automatic pool
     * @param subPool      {@code --ip-range}, or empty/null; needs an explicit pool
     * @param options      {@code --ipam-opt} (may be null)
     * @param v6           true for the IPv6 pool of an {@code --ipv6} network: refused
     * @throws IpamException with a message for the user when the request cannot be granted
     */
    public PoolGrant requestPool(String addressSpace, String pool, String subPool, Map<String, String> options,
                                 boolean v6) {
        if (v6) {
            throw new IpamException(IpamException.Kind.UNSUPPORTED, "jweave IPAM does not support IPv6 pools yet");
        }
        if (addressSpace == null || !ADDRESS_SPACES.contains(addressSpace)) {
            throw new IpamException(IpamException.Kind.INVALID_REQUEST, "unknown address space \"" + addressSpace
                    + "\" (jweave has " + LOCAL_ADDRESS_SPACE + " and " + GLOBAL_ADDRESS_SPACE + ")");
        }
        Map<String, String> opts = new TreeMap<>();
        if (options != null) {
            options.forEach((k, v) -> {
                if (k != null) {
                    opts.put(k, v == null ? "" : v);
                }
            });
        }
        Integer subnetSize = parsePoolOptions(opts);
        if (isBlank(pool)) {
            if (!isBlank(subPool)) {
                throw new IpamException(IpamException.Kind.INVALID_REQUEST, "ip-range " + subPool
                        + " needs an explicit subnet: give --subnet together with --ip-range");
            }
            int prefix = subnetSize != null ? subnetSize : autoPrefix;
            List<Cidr> routes = currentHostRoutes();
            synchronized (lock) {
                Cidr chosen = findAutoPool(prefix, routes);
                return grantPool(addressSpace, chosen, null, true, opts);
            }
        }
        if (subnetSize != null) {
            throw new IpamException(IpamException.Kind.INVALID_REQUEST, SUBNET_SIZE_OPTION
                    + " only applies to automatic pools; it cannot be combined with --subnet " + pool);
        }
        Cidr requested = Cidr.parse(pool);
        checkPoolSize(requested);
        Cidr range = null;
        if (!isBlank(subPool)) {
            range = Cidr.parse(subPool);
            if (!requested.contains(range)) {
                throw new IpamException(IpamException.Kind.INVALID_REQUEST,
                        "ip-range " + range + " is not inside pool " + requested);
            }
        }
        synchronized (lock) {
            for (PoolEntry held : pools.values()) {
                if (held.pool.overlaps(requested)) {
                    throw new IpamException(IpamException.Kind.POOL_OVERLAP, "pool " + requested + " overlaps "
                            + held.pool + ", already used by another jweave network");
                }
            }
            return grantPool(addressSpace, requested, range, false, opts);
        }
    }

    /** Docker's ReleasePool: forgets the pool and every address in it. Unknown IDs are ignored. */
    public void releasePool(String poolId) {
        PoolEntry removed;
        synchronized (lock) {
            removed = poolId == null ? null : pools.remove(poolId);
            if (removed == null) {
                log.debug("release of unknown pool {} ignored", poolId);
                return;
            }
            PoolEntry p = removed;
            commit(() -> pools.put(p.id, p));
            try {
                claims.release(p.id, p.pool);
                blocks.poolReleased(p.id);
            } catch (RuntimeException e) {
                log.warn("pool {} ({}): released here, but giving up its claim failed: {}", p.id, p.pool, e.toString());
            }
        }
        log.info("pool {} ({}) released with {} address(es)", removed.id, removed.pool, removed.allocations.size());
    }

    private Integer parsePoolOptions(Map<String, String> opts) {
        Integer subnetSize = null;
        for (Map.Entry<String, String> e : opts.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (SUBNET_SIZE_OPTION.equals(key)) {
                subnetSize = parseSubnetSize(value);
            } else if (key != null && key.startsWith(DOCKER_OPTION_PREFIX)) {
                log.debug("ignoring Docker IPAM option {}={}", key, value);
            } else {
                throw new IpamException(IpamException.Kind.INVALID_REQUEST, "unknown IPAM option \"" + key
                        + "\" (jweave IPAM knows " + SUBNET_SIZE_OPTION + ")");
            }
        }
        return subnetSize;
    }

    private int parseSubnetSize(String value) {
        int lowest = Math.max(autoRange.prefix(), LARGEST_POOL_PREFIX);
        String v = value == null ? "" : value.startsWith("/") ? value.substring(1) : value;
        int prefix;
        try {
            prefix = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            prefix = -1;
        }
        if (prefix < lowest || prefix > SMALLEST_POOL_PREFIX) {
            throw new IpamException(IpamException.Kind.INVALID_REQUEST, "invalid " + SUBNET_SIZE_OPTION + "=" + value
                    + ": expected a prefix length between " + lowest + " and " + SMALLEST_POOL_PREFIX
                    + " (automatic pools come from " + autoRange + ")");
        }
        return prefix;
    }

    private static void checkPoolSize(Cidr pool) {
        if (pool.prefix() > SMALLEST_POOL_PREFIX) {
            throw new IpamException(IpamException.Kind.INVALID_REQUEST, "pool " + pool
                    + " is too small: jweave needs at least a /" + SMALLEST_POOL_PREFIX
                    + " (network and broadcast addresses are never handed out)");
        }
        if (pool.prefix() < LARGEST_POOL_PREFIX) {
            throw new IpamException(IpamException.Kind.INVALID_REQUEST, "pool " + pool
                    + " is too large: jweave pools can be at most a /" + LARGEST_POOL_PREFIX);
        }
    }

    private List<Cidr> currentHostRoutes() {
        List<Cidr> routes;
        try {
            routes = hostRoutes.get();
        } catch (RuntimeException e) {
            throw new IpamException(IpamException.Kind.EXHAUSTED,
                    "cannot choose a subnet: the host's routes could not be read (" + e.getMessage() + ")", e);
        }
        List<Cidr> result = new ArrayList<>();
        if (routes != null) {
            for (Cidr r : routes) {
                if (r != null && r.prefix() > 0) {
                    result.add(r);
                }
            }
        }
        return result;
    }

    /** The lowest /prefix of the range overlapping no held pool, no pool held elsewhere, no host route. */
    private Cidr findAutoPool(int prefix, List<Cidr> routes) {
        List<Cidr> elsewhere = claims.heldElsewhere();
        List<Cidr> obstacles = new ArrayList<>(pools.size() + elsewhere.size() + routes.size());
        for (PoolEntry p : pools.values()) {
            obstacles.add(p.pool);
        }
        obstacles.addAll(elsewhere);
        obstacles.addAll(routes);
        long size = 1L << (32 - prefix);
        long end = autoRange.last().value();
        long start = autoRange.first().value();
        while (start + size - 1 <= end) {
            Cidr candidate = new Cidr(new Ipv4Address(start), prefix);
            Cidr blocker = null;
            for (Cidr o : obstacles) {
                if (o.overlaps(candidate)) {
                    blocker = o;
                    break;
                }
            }
            if (blocker == null) {
                return candidate;
            }
            // Skip past the candidate, or past the whole blocker if it is larger (stays aligned:
            // a larger CIDR ends on a boundary of every smaller size).
            start = Math.max(candidate.last().value(), blocker.last().value()) + 1;
        }
        long heldHere = pools.values().stream().filter(p -> p.pool.overlaps(autoRange)).count();
        long heldThere = elsewhere.stream().filter(c -> c.overlaps(autoRange)).count();
        long routed = routes.stream().filter(c -> c.overlaps(autoRange)).count();
        throw new IpamException(IpamException.Kind.EXHAUSTED, "no free /" + prefix + " left in " + autoRange
                + " (" + heldHere + " jweave pool(s) here" + (heldThere > 0 ? ", " + heldThere + " on other hosts" : "")
                + ", " + routed + " host route(s) in the range); give an explicit --subnet");
    }

    private PoolGrant grantPool(String addressSpace, Cidr pool, Cidr subPool, boolean automatic,
                                Map<String, String> options) {
        String id;
        do {
            id = addressSpace + ":" + pool + (subPool != null ? "[" + subPool + "]" : "") + "#" + nextSerial++;
        } while (pools.containsKey(id));
        PoolEntry entry = new PoolEntry(id, addressSpace, pool, subPool, automatic, options);
        claims.claim(id, pool, options);
        pools.put(id, entry);
        String finalId = id;
        try {
            commit(() -> pools.remove(finalId));
        } catch (RuntimeException e) {
            claims.release(finalId, pool);
            throw e;
        }
        log.info("pool {} granted: {}{}{}", id, pool, subPool != null ? " range " + subPool : "",
                automatic ? " (automatic)" : "");
        return new PoolGrant(id, pool, Map.of());
    }

    // ------------------------------------------------------------------------------------------
    // RequestAddress / ReleaseAddress

    /**
     * Docker's RequestAddress.
     *
     * @param poolId  a PoolID from {@link #requestPool}
     * @param address empty/null for the next free address of the range, or a specific plain IPv4
     *                address (--ip, --gateway, aux addresses), which may lie anywhere in the pool
     * @param options {@link #REQUEST_ADDRESS_TYPE_OPTION}={@link #GATEWAY_ADDRESS_TYPE} for the
     *                gateway (an automatic gateway is the lowest free address of the range),
     *                {@link #ENDPOINT_NAME_OPTION}; other keys come from Docker and are ignored
     * @return the address with the pool's prefix length
     * @throws IpamException for unknown pools, invalid, out-of-pool or used addresses, exhaustion
     */
    public AddressGrant requestAddress(String poolId, String address, Map<String, String> options) {
        Map<String, String> opts = options == null ? Map.of() : options;
        boolean gateway = GATEWAY_ADDRESS_TYPE.equals(opts.get(REQUEST_ADDRESS_TYPE_OPTION));
        String name = isBlank(opts.get(ENDPOINT_NAME_OPTION)) ? null : opts.get(ENDPOINT_NAME_OPTION);
        synchronized (lock) {
            PoolEntry p = poolFor(poolId);
            int offset = isBlank(address) ? nextFree(p, gateway) : checkSpecific(p, Ipv4Address.parse(address), gateway);
            int oldCursor = p.cursor;
            Alloc alloc = new Alloc(gateway, !isBlank(address), name);
            p.used.set(offset);
            p.allocations.put(offset, alloc);
            if (!alloc.requested && !gateway) {
                p.cursor = offset;
            }
            commit(() -> {
                p.used.clear(offset);
                p.allocations.remove(offset);
                p.cursor = oldCursor;
            });
            Ipv4Address granted = p.pool.addressAt(offset);
            if (log.isDebugEnabled()) {
                log.debug("pool {}: allocated {}{}{}", p.id, granted, gateway ? " (gateway)" : "",
                        name != null ? " for endpoint " + name : "");
            }
            return new AddressGrant(p.id, granted, p.pool.prefix());
        }
    }

    /** Docker's ReleaseAddress. Unknown pools and addresses not allocated are ignored. */
    public void releaseAddress(String poolId, String address) {
        Ipv4Address ip = Ipv4Address.parse(address);
        synchronized (lock) {
            PoolEntry p = poolId == null ? null : pools.get(poolId);
            if (p == null) {
                log.debug("release of {} in unknown pool {} ignored", ip, poolId);
                return;
            }
            if (!p.pool.contains(ip)) {
                log.debug("release of {} outside pool {} ({}) ignored", ip, p.id, p.pool);
                return;
            }
            int offset = (int) p.pool.offsetOf(ip);
            Alloc old = p.allocations.remove(offset);
            if (old == null) {
                log.debug("release of unallocated {} in pool {} ignored", ip, p.id);
                return;
            }
            p.used.clear(offset);
            commit(() -> {
                p.used.set(offset);
                p.allocations.put(offset, old);
            });
            log.debug("pool {}: released {}", p.id, ip);
        }
    }

    private PoolEntry poolFor(String poolId) {
        PoolEntry p = poolId == null ? null : pools.get(poolId);
        if (p == null) {
            throw new IpamException(IpamException.Kind.UNKNOWN_POOL, "unknown pool ID \"" + poolId
                    + "\" (never issued by this jweave, or already released)");
        }
        return p;
    }

    private int checkSpecific(PoolEntry p, Ipv4Address ip, boolean gateway) {
        if (!p.pool.contains(ip)) {
            throw new IpamException(IpamException.Kind.OUT_OF_RANGE, "address " + ip + " is outside pool " + p.pool);
        }
        int offset = (int) p.pool.offsetOf(ip);
        if (offset == 0) {
            throw new IpamException(IpamException.Kind.ADDRESS_IN_USE, "address " + ip
                    + " is the network address of pool " + p.pool + " and cannot be assigned");
        }
        if (offset == p.lastOffset()) {
            throw new IpamException(IpamException.Kind.ADDRESS_IN_USE, "address " + ip
                    + " is the broadcast address of pool " + p.pool + " and cannot be assigned");
        }
        Alloc holder = p.allocations.get(offset);
        if (holder != null) {
            throw new IpamException(IpamException.Kind.ADDRESS_IN_USE, "address " + ip + " is already in use in pool "
                    + p.pool + (holder.gateway ? " (it is the gateway)" : holder.name != null ? " (by " + holder.name + ")" : ""));
        }
        if (!gateway) {
            // The gateway is the network's, the same on every host and never an interface of
            // ours, so it needs no block: every host of a multi-host network records it.
            blocks.checkSpecific(p.id, p.pool, ip);
        }
        return offset;
    }

    /**
     * Next free offset in the owned blocks of the range: round-robin after the cursor so a just
     * released address is not handed out again at once; for the gateway, the lowest free one.
     */
    private int nextFree(PoolEntry p, boolean gateway) {
        Cidr range = p.range();
        int start = gateway ? 0 : p.cursor + 1;
        for (int attempt = 0; ; attempt++) {
            List<int[]> intervals = intervals(p);
            int found = search(p.used, intervals, start);
            if (found >= 0) {
                return found;
            }
            Optional<Cidr> more = attempt < 64 ? blocks.acquireBlock(p.id, range) : Optional.empty();
            if (more.isEmpty()) {
                long usable = intervals.stream().mapToLong(iv -> iv[1] - iv[0] + 1L).sum();
                throw new IpamException(IpamException.Kind.EXHAUSTED, "no free address left in pool " + p.pool
                        + " (range " + range + ", all " + usable + " usable addresses in use)");
            }
            log.info("pool {}: acquired address block {}", p.id, more.get());
        }
    }

    private static int search(BitSet used, List<int[]> intervals, int start) {
        for (int[] iv : intervals) {
            int from = Math.max(iv[0], start);
            if (from <= iv[1]) {
                int bit = used.nextClearBit(from);
                if (bit <= iv[1]) {
                    return bit;
                }
            }
        }
        for (int[] iv : intervals) {
            if (iv[0] >= start) {
                break;
            }
            int bit = used.nextClearBit(iv[0]);
            if (bit <= Math.min(iv[1], start - 1)) {
                return bit;
            }
        }
        return -1;
    }

    /** The owned blocks of the pool's range as sorted offset intervals, without network and broadcast. */
    private List<int[]> intervals(PoolEntry p) {
        Cidr range = p.range();
        List<int[]> result = new ArrayList<>();
        for (Cidr block : blocks.ownedBlocks(p.id, range)) {
            Cidr part;
            if (range.contains(block)) {
                part = block;
            } else if (block.contains(range)) {
                part = range;
            } else {
                continue;
            }
            int lo = (int) Math.max(1, p.pool.offsetOf(part.first()));
            int hi = (int) Math.min(p.lastOffset() - 1L, p.pool.offsetOf(part.last()));
            if (lo <= hi) {
                result.add(new int[]{lo, hi});
            }
        }
        result.sort(Comparator.comparingInt(iv -> iv[0]));
        return result;
    }

    // ------------------------------------------------------------------------------------------
    // Status

    /** A consistent copy of all pools and allocations, sorted by pool. */
    public IpamSnapshot snapshot() {
        synchronized (lock) {
            List<IpamSnapshot.PoolStatus> result = new ArrayList<>();
            for (PoolEntry p : pools.values()) {
                long usable = 0;
                long free = 0;
                for (int[] iv : intervals(p)) {
                    usable += iv[1] - iv[0] + 1L;
                    free += (iv[1] - iv[0] + 1L) - p.used.get(iv[0], iv[1] + 1).cardinality();
                }
                List<IpamSnapshot.AllocationStatus> allocs = new ArrayList<>(p.allocations.size());
                p.allocations.forEach((offset, a) -> allocs.add(new IpamSnapshot.AllocationStatus(
                        p.pool.addressAt(offset), a.gateway, a.requested, Optional.ofNullable(a.name))));
                result.add(new IpamSnapshot.PoolStatus(p.id, p.addressSpace, p.pool, Optional.ofNullable(p.subPool),
                        p.automatic, usable, p.allocations.size(), free, allocs));
            }
            result.sort(Comparator.comparing(IpamSnapshot.PoolStatus::pool));
            return new IpamSnapshot(autoRange, autoPrefix, result);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Persistence

    /** Saves the current state; if that fails, undoes the change that was just made and rethrows. */
    private void commit(Runnable undo) {
        try {
            store.save(toState());
        } catch (RuntimeException e) {
            undo.run();
            log.error("IPAM change not saved, undone: {}", e.getMessage());
            throw e;
        }
    }

    private IpamState toState() {
        List<IpamState.Pool> out = new ArrayList<>(pools.size());
        for (PoolEntry p : pools.values()) {
            List<IpamState.Allocation> allocs = new ArrayList<>(p.allocations.size());
            p.allocations.forEach((offset, a) -> allocs.add(new IpamState.Allocation(
                    p.pool.addressAt(offset).toString(), a.gateway, a.requested, a.name)));
            out.add(new IpamState.Pool(p.id, p.addressSpace, p.pool.toString(),
                    p.subPool == null ? null : p.subPool.toString(), p.automatic, p.options,
                    p.cursor < 0 ? null : p.pool.addressAt(p.cursor).toString(), allocs));
        }
        return new IpamState(IpamState.CURRENT_VERSION, nextSerial, out);
    }

    private void restore(IpamState state) {
        if (state.nextSerial() < 1) {
            throw corrupt("nextSerial must be at least 1, is " + state.nextSerial());
        }
        nextSerial = state.nextSerial();
        for (IpamState.Pool doc : state.pools()) {
            String where = "pool " + doc.id();
            if (isBlank(doc.id())) {
                throw corrupt("a pool without an id");
            }
            if (pools.containsKey(doc.id())) {
                throw corrupt(where + " appears twice");
            }
            if (doc.addressSpace() == null || !ADDRESS_SPACES.contains(doc.addressSpace())) {
                throw corrupt(where + ": unknown address space \"" + doc.addressSpace() + "\"");
            }
            Cidr pool = parseStored(where, doc.pool(), Cidr::parse);
            try {
                checkPoolSize(pool);
            } catch (IpamException e) {
                throw corrupt(where + ": " + e.getMessage());
            }
            Cidr subPool = doc.subPool() == null ? null : parseStored(where, doc.subPool(), Cidr::parse);
            if (subPool != null && !pool.contains(subPool)) {
                throw corrupt(where + ": ip-range " + subPool + " is not inside " + pool);
            }
            for (PoolEntry other : pools.values()) {
                if (other.pool.overlaps(pool)) {
                    throw corrupt(where + ": " + pool + " overlaps pool " + other.id);
                }
            }
            PoolEntry entry = new PoolEntry(doc.id(), doc.addressSpace(), pool, subPool, doc.automatic(), doc.options());
            if (doc.cursor() != null) {
                Ipv4Address c = parseStored(where, doc.cursor(), Ipv4Address::parse);
                if (!pool.contains(c)) {
                    throw corrupt(where + ": cursor " + c + " is outside " + pool);
                }
                entry.cursor = (int) pool.offsetOf(c);
            }
            for (IpamState.Allocation a : doc.allocations()) {
                Ipv4Address ip = parseStored(where, a.address(), Ipv4Address::parse);
                if (!pool.contains(ip)) {
                    throw corrupt(where + ": address " + ip + " is outside " + pool);
                }
                int offset = (int) pool.offsetOf(ip);
                if (offset == 0 || offset == entry.lastOffset()) {
                    throw corrupt(where + ": address " + ip + " is the network or broadcast address");
                }
                if (entry.allocations.put(offset, new Alloc(a.gateway(), a.requested(), a.name())) != null) {
                    throw corrupt(where + ": address " + ip + " is listed twice");
                }
                entry.used.set(offset);
            }
            pools.put(entry.id, entry);
        }
    }

    private <T> T parseStored(String where, String text, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(text);
        } catch (IpamException e) {
            throw corrupt(where + ": " + e.getMessage());
        }
    }

    private IpamStoreException corrupt(String reason) {
        Path file = store instanceof FileIpamStore f ? f.file() : null;
        return new IpamStoreException(file, "corrupt IPAM state file " + store + ": " + reason
                + " (fix it or move it aside; moving it aside forgets every pool and address jweave handed to Docker)",
                null);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    // ------------------------------------------------------------------------------------------

    /** One granted pool. Mutable parts are guarded by {@link Ipam#lock}. */
    private static final class PoolEntry {
        final String id;
        final String addressSpace;
        final Cidr pool;
        final Cidr subPool;
        final boolean automatic;
        final Map<String, String> options;
        /** Bit i set: the address at offset i of the pool is allocated. */
        final BitSet used = new BitSet();
        /** Offset in the pool to what holds it. */
        final TreeMap<Integer, Alloc> allocations = new TreeMap<>();
        /** Offset of the last automatically allocated address, -1 if none yet. */
        int cursor = -1;

        PoolEntry(String id, String addressSpace, Cidr pool, Cidr subPool, boolean automatic,
                  Map<String, String> options) {
            this.id = id;
            this.addressSpace = addressSpace;
            this.pool = pool;
            this.subPool = subPool;
            this.automatic = automatic;
            this.options = Map.copyOf(new HashMap<>(options));
        }

        Cidr range() {
            return subPool != null ? subPool : pool;
        }

        int lastOffset() {
            return (int) (pool.size() - 1);
        }
    }

    private record Alloc(boolean gateway, boolean requested, String name) {
    }
}
