package io.jweave.router.mesh;

import io.jweave.discovery.AddressBlocks;
import io.jweave.discovery.ClaimResult;
import io.jweave.discovery.Mesh;
import io.jweave.discovery.NetworkRecord;
import io.jweave.discovery.OwnedTable;
import io.jweave.ipam.BlockOwnership;
import io.jweave.ipam.Cidr;
import io.jweave.ipam.IpamException;
import io.jweave.ipam.Ipv4Address;
import io.jweave.ipam.PoolClaims;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * IPAM across the mesh. Pools: a subnet belongs to one jweave network mesh-wide; a new subnet is
 * refused if it overlaps one that a mesh network uses or another host claimed; the same subnet is
 * granted to a host that is joining that very network (the router creating it locally for a mesh
 * network). Addresses: each host allocates only from address blocks it holds (claimed through the
 * mesh, majority rule), so allocation is local in steady state and no address is ever handed out
 * by two hosts, also across a partition (a minority side cannot claim blocks).
 */
final class MeshIpam implements PoolClaims, BlockOwnership {
    static final String POOL_KEY = "pool/";

    private final Supplier<Mesh> mesh;
    private final String self;
    /** Subnets this router is creating locally for networks that already exist in the mesh. */
    private final Set<String> joining = ConcurrentHashMap.newKeySet();
    private final Map<String, AddressBlocks> blocksByPool = new ConcurrentHashMap<>();

    MeshIpam(Supplier<Mesh> mesh, String self) {
        this.mesh = mesh;
        this.self = self;
    }

    void joining(String subnet, boolean on) {
        if (on) {
            joining.add(subnet);
        } else {
            joining.remove(subnet);
        }
    }

    boolean isJoining(String subnet) {
        return joining.contains(subnet);
    }

    // ---------------------------------------------------------------- pools

    @Override
    public void claim(String poolId, Cidr pool, Map<String, String> options) {
        String subnet = pool.toString();
        OwnedTable<NetworkRecord> nets = mesh.get().networks();
        for (OwnedTable.Row<NetworkRecord> r : nets.all()) {
            Cidr other = Cidr.parse(r.value().subnet());
            if (other.equals(pool) && joining.contains(subnet)) {
                return; // this host joins the mesh network that owns the subnet
            }
            if (other.overlaps(pool) && !r.owner().equals(self)) {
                throw new IpamException(IpamException.Kind.POOL_OVERLAP, "subnet " + subnet + " overlaps subnet "
                        + other + " of jweave network \"" + r.key() + "\" (on " + r.owner() + ")");
            }
        }
        for (var c : mesh.get().claims().withPrefix(POOL_KEY)) {
            if (c.released() || c.holder().equals(self)) {
                continue;
            }
            Cidr other = Cidr.parse(c.key().substring(POOL_KEY.length()));
            if (other.overlaps(pool)) {
                throw new IpamException(IpamException.Kind.POOL_OVERLAP, "subnet " + subnet + " overlaps subnet "
                        + other + ", claimed by " + c.holder());
            }
        }
        ClaimResult r = mesh.get().claims().claim(POOL_KEY + subnet);
        if (!r.granted()) {
            if (joining.contains(subnet)) {
                return;
            }
            throw new IpamException(IpamException.Kind.CLAIMED_ELSEWHERE, "subnet " + subnet
                    + " cannot be claimed in the mesh: " + r.detail());
        }
    }

    @Override
    public void release(String poolId, Cidr pool) {
        mesh.get().claims().release(POOL_KEY + pool);
    }

    @Override
    public List<Cidr> heldElsewhere() {
        List<Cidr> out = new ArrayList<>();
        Mesh m = mesh.get();
        for (OwnedTable.Row<NetworkRecord> r : m.networks().all()) {
            out.add(Cidr.parse(r.value().subnet()));
        }
        for (var c : m.claims().withPrefix(POOL_KEY)) {
            if (!c.released() && !c.holder().equals(self)) {
                out.add(Cidr.parse(c.key().substring(POOL_KEY.length())));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- address blocks

    /** Blocks are a 16th of the pool, at most /28 (a /24 pool: 16 blocks of 16 addresses). */
    static int blockPrefix(Cidr pool) {
        return Math.max(pool.prefix(), Math.min(28, pool.prefix() + 4));
    }

    private AddressBlocks blocks(Cidr pool) {
        return blocksByPool.computeIfAbsent(pool.toString(), p -> mesh.get().addressBlocks(p, blockPrefix(pool)));
    }

    private static Cidr poolOf(String poolId, Cidr range) {
        // Pool IDs look like "jweave-local:100.64.10.0/24[100.64.10.128/25]#3": the pool is before '[' or '#'.
        int colon = poolId.indexOf(':');
        int end = poolId.length();
        for (char ch : new char[] {'[', '#'}) {
            int i = poolId.indexOf(ch);
            if (i > 0) {
                end = Math.min(end, i);
            }
        }
        try {
            return Cidr.parse(poolId.substring(colon + 1, end));
        } catch (RuntimeException e) {
            return range;
        }
    }

    @Override
    public List<Cidr> ownedBlocks(String poolId, Cidr range) {
        List<Cidr> out = new ArrayList<>();
        for (String b : blocks(poolOf(poolId, range)).owned()) {
            out.add(Cidr.parse(b));
        }
        return out;
    }

    @Override
    public Optional<Cidr> acquireBlock(String poolId, Cidr range) {
        AddressBlocks ab = blocks(poolOf(poolId, range));
        try {
            return ab.acquire().map(Cidr::parse);
        } catch (IllegalStateException e) {
            throw new IpamException(IpamException.Kind.EXHAUSTED, "this host's address blocks of " + range
                    + " are full and no new block can be claimed now: " + e.getMessage());
        }
    }

    @Override
    public void checkSpecific(String poolId, Cidr pool, Ipv4Address address) {
        AddressBlocks ab = blocks(pool);
        Optional<String> holder = ab.holderOf(address.toString());
        if (holder.isPresent() && !holder.get().equals(self)) {
            throw new IpamException(IpamException.Kind.CLAIMED_ELSEWHERE, "address " + address
                    + " lies in an address block of host " + holder.get() + "; choose an address this host may assign"
                    + " or let jweave choose");
        }
        if (holder.isEmpty()) {
            // Claim the block so that no other host hands out this address later.
            for (String block : ab.blocks()) {
                if (Cidr.parse(block).contains(address)) {
                    ClaimResult r = mesh.get().claims().claim("block/" + pool + "/" + block);
                    if (!r.granted() && !self.equals(r.holder())) {
                        throw new IpamException(IpamException.Kind.CLAIMED_ELSEWHERE, "address " + address
                                + " cannot be reserved in the mesh: " + r.detail());
                    }
                }
            }
        }
    }

    @Override
    public void poolReleased(String poolId) {
        Cidr pool = poolOf(poolId, null);
        AddressBlocks ab = pool == null ? null : blocksByPool.remove(pool.toString());
        if (ab != null) {
            for (String b : ab.owned()) {
                ab.release(b);
            }
        }
    }
}
