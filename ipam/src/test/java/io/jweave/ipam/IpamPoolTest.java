package io.jweave.ipam;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.jweave.ipam.Ipam.LOCAL_ADDRESS_SPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpamPoolTest {

    @TempDir
    Path dir;

    private final List<Cidr> routes = new CopyOnWriteArrayList<>();

    private Ipam ipam(String range, int prefix) {
        return new Ipam(Cidr.parse(range), prefix, () -> List.copyOf(routes), IpamStore.inDirectory(dir));
    }

    private static PoolGrant auto(Ipam ipam) {
        return ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", null, false);
    }

    private static PoolGrant explicit(Ipam ipam, String pool) {
        return ipam.requestPool(LOCAL_ADDRESS_SPACE, pool, "", Map.of(), false);
    }

    private static IpamException refused(IpamException.Kind kind, String messagePart, Runnable call) {
        IpamException e = assertThrows(IpamException.class, call::run);
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), "message was: " + e.getMessage());
        return e;
    }

    @Test
    void automaticPoolsComeFromTheRangeInOrder() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        PoolGrant a = auto(ipam);
        PoolGrant b = auto(ipam);
        assertEquals("100.64.0.0/24", a.pool().toString());
        assertEquals("100.64.1.0/24", b.pool().toString());
        assertNotEquals(a.poolId(), b.poolId());
        assertTrue(a.data().isEmpty());
        assertTrue(a.poolId().contains("100.64.0.0/24"), "PoolID should be readable: " + a.poolId());
    }

    @Test
    void automaticPoolsNeverRepeatWhileHeld() {
        // Docker's overlap retry loop keeps every pool it rejects and asks again: each answer must differ.
        Ipam ipam = ipam("100.64.0.0/20", 24);
        Set<Cidr> seen = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            assertTrue(seen.add(auto(ipam).pool()), "pool returned twice");
        }
        refused(IpamException.Kind.EXHAUSTED, "no free /24 left in 100.64.0.0/20", () -> auto(ipam));
    }

    @Test
    void releasedAutomaticPoolCanBeHandedOutAgain() {
        Ipam ipam = ipam("100.64.0.0/22", 24);
        PoolGrant first = auto(ipam);
        auto(ipam);
        ipam.releasePool(first.poolId());
        PoolGrant again = auto(ipam);
        assertEquals(first.pool(), again.pool());
        assertNotEquals(first.poolId(), again.poolId(), "a re-issued pool gets a new PoolID");
    }

    @Test
    void automaticPoolsSkipHostRoutes() {
        routes.add(Cidr.parse("100.64.0.0/23"));    // covers two candidates
        routes.add(Cidr.parse("100.64.2.128/25"));  // inside a candidate
        routes.add(Cidr.parse("0.0.0.0/0"));        // default route: ignored
        Ipam ipam = ipam("100.64.0.0/16", 24);
        assertEquals("100.64.3.0/24", auto(ipam).pool().toString());
        routes.add(Cidr.parse("100.64.4.7/32"));    // a host address
        assertEquals("100.64.5.0/24", auto(ipam).pool().toString());
    }

    @Test
    void automaticPoolsSkipExplicitPools() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        explicit(ipam, "100.64.0.0/23");
        explicit(ipam, "100.64.2.64/26");
        assertEquals("100.64.3.0/24", auto(ipam).pool().toString());
    }

    @Test
    void exhaustionMessageNamesSizeAndRange() {
        routes.add(Cidr.parse("100.64.3.0/24"));
        Ipam ipam = ipam("100.64.0.0/22", 24);
        auto(ipam);
        auto(ipam);
        auto(ipam);
        IpamException e = refused(IpamException.Kind.EXHAUSTED, "no free /24 left in 100.64.0.0/22", () -> auto(ipam));
        assertTrue(e.getMessage().contains("3 jweave pool(s) here"), e.getMessage());
        assertTrue(e.getMessage().contains("1 host route(s)"), e.getMessage());
    }

    @Test
    void hostRouteCoveringTheRangeExhaustsIt() {
        routes.add(Cidr.parse("100.64.0.0/10"));
        Ipam ipam = ipam("100.64.0.0/16", 24);
        refused(IpamException.Kind.EXHAUSTED, "no free /24 left in 100.64.0.0/16", () -> auto(ipam));
    }

    @Test
    void failingRouteSupplierFailsTheRequestClearly() {
        Ipam ipam = new Ipam(Cidr.parse("100.64.0.0/16"), 24, () -> {
            throw new IllegalStateException("netlink dump failed");
        }, IpamStore.inMemory());
        refused(IpamException.Kind.EXHAUSTED, "netlink dump failed", () -> auto(ipam));
        explicit(ipam, "100.64.10.0/24"); // explicit pools do not need the routes
    }

    @Test
    void subnetSizeOption() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        PoolGrant small = ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", Map.of("jweave.subnet-size", "28"), false);
        assertEquals("100.64.0.0/28", small.pool().toString());
        assertEquals("100.64.1.0/24", auto(ipam).pool().toString());
        assertEquals("100.64.0.16/28", ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "",
                Map.of("jweave.subnet-size", "/28"), false).pool().toString());
        refused(IpamException.Kind.INVALID_REQUEST, "invalid jweave.subnet-size=abc", () ->
                ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", Map.of("jweave.subnet-size", "abc"), false));
        refused(IpamException.Kind.INVALID_REQUEST, "between 16 and 30", () ->
                ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", Map.of("jweave.subnet-size", "31"), false));
        refused(IpamException.Kind.INVALID_REQUEST, "between 16 and 30", () ->
                ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", Map.of("jweave.subnet-size", "12"), false));
        refused(IpamException.Kind.INVALID_REQUEST, "only applies to automatic pools", () ->
                ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.200.0/24", "", Map.of("jweave.subnet-size", "28"), false));
    }

    @Test
    void explicitPoolIsGrantedAsGiven() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        PoolGrant g = explicit(ipam, "100.80.0.0/16"); // outside the automatic range is fine
        assertEquals("100.80.0.0/16", g.pool().toString());
    }

    @Test
    void explicitPoolOverlappingAnyPoolIsRefused() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        explicit(ipam, "100.64.0.0/16");
        refused(IpamException.Kind.POOL_OVERLAP,
                "pool 100.64.10.0/24 overlaps 100.64.0.0/16, already used by another jweave network",
                () -> explicit(ipam, "100.64.10.0/24"));
        refused(IpamException.Kind.POOL_OVERLAP, "pool 100.64.0.0/16 overlaps 100.64.0.0/16",
                () -> explicit(ipam, "100.64.0.0/16"));
        refused(IpamException.Kind.POOL_OVERLAP, "pool 100.64.0.0/10 overlaps 100.64.0.0/16",
                () -> explicit(ipam, "100.64.0.0/10"));
        // the other address space shares the same overlay, so it is refused there too
        refused(IpamException.Kind.POOL_OVERLAP, "overlaps", () -> ipam.requestPool(
                Ipam.GLOBAL_ADDRESS_SPACE, "100.64.10.0/24", null, null, false));
        explicit(ipam, "100.65.0.0/16");
    }

    @Test
    void explicitPoolOverlappingAnAutomaticPoolIsRefused() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        auto(ipam);
        refused(IpamException.Kind.POOL_OVERLAP, "pool 100.64.0.128/25 overlaps 100.64.0.0/24",
                () -> explicit(ipam, "100.64.0.128/25"));
    }

    @Test
    void invalidExplicitPools() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        refused(IpamException.Kind.INVALID_REQUEST, "invalid CIDR \"100.64.10.300/24\"",
                () -> explicit(ipam, "100.64.10.300/24"));
        refused(IpamException.Kind.INVALID_REQUEST, "\"100.64.10.5/24\" is not a network address",
                () -> explicit(ipam, "100.64.10.5/24"));
        refused(IpamException.Kind.INVALID_REQUEST, "too small", () -> explicit(ipam, "100.64.10.0/31"));
        refused(IpamException.Kind.INVALID_REQUEST, "too small", () -> explicit(ipam, "100.64.10.0/32"));
        refused(IpamException.Kind.INVALID_REQUEST, "too large", () -> explicit(ipam, "64.0.0.0/2"));
        assertTrue(ipam.snapshot().pools().isEmpty());
    }

    @Test
    void subPoolMustLieInsideThePool() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        refused(IpamException.Kind.INVALID_REQUEST, "ip-range 100.65.0.0/24 is not inside pool 100.64.10.0/24",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.10.0/24", "100.65.0.0/24", null, false));
        refused(IpamException.Kind.INVALID_REQUEST, "ip-range 100.64.0.0/16 is not inside pool 100.64.10.0/24",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.10.0/24", "100.64.0.0/16", null, false));
        refused(IpamException.Kind.INVALID_REQUEST, "invalid CIDR \"100.64.10.128\"",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.10.0/24", "100.64.10.128", null, false));
        PoolGrant g = ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.10.0/24", "100.64.10.128/25", null, false);
        assertEquals("100.64.10.0/24", g.pool().toString());
        assertTrue(g.poolId().contains("100.64.10.128/25"), g.poolId());
    }

    @Test
    void subPoolWithoutPoolIsRefused() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        refused(IpamException.Kind.INVALID_REQUEST, "needs an explicit subnet",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "100.64.1.0/24", null, false));
    }

    @Test
    void ipv6IsRefused() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        refused(IpamException.Kind.UNSUPPORTED, "jweave IPAM does not support IPv6 pools yet",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", null, true));
        refused(IpamException.Kind.UNSUPPORTED, "jweave IPAM does not support IPv6 pools yet",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "fd00::/64", "", null, true));
        refused(IpamException.Kind.UNSUPPORTED, "does not support IPv6",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "fd00::/64", "", null, false));
    }

    @Test
    void unknownOptionsAndAddressSpacesAreRefused() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        refused(IpamException.Kind.INVALID_REQUEST, "unknown IPAM option \"jweave.subnet_size\"",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", Map.of("jweave.subnet_size", "26"), false));
        refused(IpamException.Kind.INVALID_REQUEST, "unknown IPAM option \"foo\"",
                () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.9.0/24", "", Map.of("foo", "bar"), false));
        refused(IpamException.Kind.INVALID_REQUEST, "unknown address space \"default\"",
                () -> ipam.requestPool("default", "", "", null, false));
        refused(IpamException.Kind.INVALID_REQUEST, "unknown address space \"null\"",
                () -> ipam.requestPool(null, "", "", null, false));
        // options Docker adds itself are accepted
        ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", Map.of("com.docker.network.ipam.serial", "true"), false);
        assertEquals(1, ipam.snapshot().pools().size());
    }

    @Test
    void releasePoolIsIdempotentAndFreesItsAddresses() {
        Ipam ipam = ipam("100.64.0.0/16", 24);
        PoolGrant g = explicit(ipam, "100.64.10.0/24");
        ipam.requestAddress(g.poolId(), "100.64.10.7", null);
        ipam.releasePool(g.poolId());
        ipam.releasePool(g.poolId());
        ipam.releasePool("no-such-pool");
        ipam.releasePool(null);
        refused(IpamException.Kind.UNKNOWN_POOL, "unknown pool ID", () -> ipam.requestAddress(g.poolId(), "", null));
        PoolGrant again = explicit(ipam, "100.64.10.0/24");
        assertEquals("100.64.10.7/24", ipam.requestAddress(again.poolId(), "100.64.10.7", null).cidrNotation());
    }

    @Test
    void claimsAuthorityIsConsultedAndItsPoolsAvoided() {
        // a stand-in for the future cluster authority: another host holds 100.64.0.0/24
        List<String> log = new ArrayList<>();
        PoolClaims cluster = new PoolClaims() {
            @Override
            public void claim(String poolId, Cidr pool, Map<String, String> options) {
                if (pool.overlaps(Cidr.parse("100.64.0.0/24"))) {
                    throw new IpamException(IpamException.Kind.CLAIMED_ELSEWHERE, "pool " + pool + " is held by host2");
                }
                log.add("claim " + pool);
            }

            @Override
            public void release(String poolId, Cidr pool) {
                log.add("release " + pool);
            }

            @Override
            public List<Cidr> heldElsewhere() {
                return List.of(Cidr.parse("100.64.0.0/24"));
            }
        };
        Ipam ipam = new Ipam(Cidr.parse("100.64.0.0/16"), 24, List::of, IpamStore.inMemory(), cluster,
                BlockOwnership.wholeRange());
        PoolGrant g = auto(ipam);
        assertEquals("100.64.1.0/24", g.pool().toString());
        refused(IpamException.Kind.CLAIMED_ELSEWHERE, "held by host2", () -> explicit(ipam, "100.64.0.0/25"));
        ipam.releasePool(g.poolId());
        assertEquals(List.of("claim 100.64.1.0/24", "release 100.64.1.0/24"), log);
        assertTrue(ipam.snapshot().pools().isEmpty());
    }
}
