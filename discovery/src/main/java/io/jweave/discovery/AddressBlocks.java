package io.jweave.discovery;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The address blocks of one pool (e.g. the /26s of a network's /24), each a {@link Claims claim}
 * under the key {@code block/<pool>/<block>}. A host allocates addresses only from blocks it holds
 * ({@link #owned()} answers locally, no cluster round trip); when they are full it calls
 * {@link #acquire()}, which needs the majority (see {@link Claims}). A departed host's blocks are
 * reclaimed by the mesh after the grace period.
 */
public final class AddressBlocks {

    private final Claims claims;
    private final String local;
    private final String pool;
    private final long poolBase;
    private final int poolPrefix;
    private final int blockPrefix;

    AddressBlocks(Claims claims, String local, String pool, int blockPrefix) {
        this.claims = claims;
        this.local = local;
        long[] p = parse(pool);
        this.poolBase = p[0];
        this.poolPrefix = (int) p[1];
        if (blockPrefix < poolPrefix || blockPrefix > 32) {
            throw new IllegalArgumentException("block size /" + blockPrefix + " does not fit in pool " + pool);
        }
        this.pool = pool;
        this.blockPrefix = blockPrefix;
    }

    public String pool() {
        return pool;
    }

    /** Every block of the pool, in address order. */
    public List<String> blocks() {
        List<String> out = new ArrayList<>();
        long size = 1L << (32 - blockPrefix);
        long count = 1L << (blockPrefix - poolPrefix);
        for (long i = 0; i < count; i++) {
            out.add(format(poolBase + i * size) + "/" + blockPrefix);
        }
        return out;
    }

    /** Blocks this host holds, in address order (local read). */
    public List<String> owned() {
        return blocks().stream().filter(b -> claims.holder(key(b)).map(local::equals).orElse(false)).toList();
    }

    /** Holder of the block containing {@code ip} (local read). */
    public Optional<String> holderOf(String ip) {
        long a = parse(ip + "/32")[0];
        long size = 1L << (32 - blockPrefix);
        if ((a & mask(poolPrefix)) != poolBase) {
            return Optional.empty();
        }
        long base = a & ~(size - 1);
        return claims.holder(key(format(base) + "/" + blockPrefix));
    }

    /**
     * Claims the lowest block nobody holds. Empty if every block is held, or (then {@code last}
     * tells why) the claim was refused.
     */
    public Optional<String> acquire() {
        for (String b : blocks()) {
            if (claims.holder(key(b)).isPresent()) {
                continue;
            }
            ClaimResult r = claims.claim(key(b));
            if (r.granted()) {
                return Optional.of(b);
            }
            if (r.status() == ClaimResult.Status.NO_QUORUM) {
                throw new IllegalStateException(r.detail());
            }
        }
        return Optional.empty();
    }

    /** Gives a block back (when it has no allocations left). */
    public void release(String block) {
        claims.release(key(block));
    }

    String key(String block) {
        return "block/" + pool + "/" + block;
    }

    private static long mask(int prefix) {
        return prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    }

    private static long[] parse(String cidr) {
        String[] f = cidr.split("/");
        if (f.length != 2) {
            throw new IllegalArgumentException("not a CIDR: \"" + cidr + "\"");
        }
        String[] q = f[0].split("\\.");
        if (q.length != 4) {
            throw new IllegalArgumentException("not an IPv4 CIDR: \"" + cidr + "\"");
        }
        long a = 0;
        for (String s : q) {
            int v = Integer.parseInt(s);
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("not an IPv4 CIDR: \"" + cidr + "\"");
            }
            a = (a << 8) | v;
        }
        int len = Integer.parseInt(f[1]);
        if (len < 0 || len > 32 || (a & ~mask(len) & 0xFFFFFFFFL) != 0) {
            throw new IllegalArgumentException("not a network address: \"" + cidr + "\"");
        }
        return new long[]{a, len};
    }

    private static String format(long a) {
        return ((a >> 24) & 255) + "." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255);
    }
}
