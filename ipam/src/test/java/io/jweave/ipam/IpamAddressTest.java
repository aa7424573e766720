package io.jweave.ipam;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.jweave.ipam.Ipam.LOCAL_ADDRESS_SPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpamAddressTest {

    private static final Map<String, String> GATEWAY = Map.of("RequestAddressType", "com.docker.network.gateway");

    @TempDir
    Path dir;

    private Ipam ipam() {
        return new Ipam(Cidr.parse("100.64.0.0/16"), 24, List::of, IpamStore.inDirectory(dir));
    }

    private static String pool(Ipam ipam, String pool, String subPool) {
        return ipam.requestPool(LOCAL_ADDRESS_SPACE, pool, subPool, null, false).poolId();
    }

    private static String next(Ipam ipam, String poolId) {
        return ipam.requestAddress(poolId, "", null).cidrNotation();
    }

    private static IpamException refused(IpamException.Kind kind, String messagePart, Runnable call) {
        IpamException e = assertThrows(IpamException.class, call::run);
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), "message was: " + e.getMessage());
        return e;
    }

    @Test
    void addressesCarryThePoolPrefixLength() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.0.0/16", "100.64.10.0/24");
        // x.y.10.0 is an ordinary address in a /16: only the POOL's network address is special
        assertEquals("100.64.10.0/16", next(ipam, id));
        assertEquals("100.64.10.7/16", ipam.requestAddress(id, "100.64.10.7", null).cidrNotation());
        AddressGrant g = ipam.requestAddress(id, null, Map.of());
        assertEquals(16, g.prefixLength());
        assertEquals("100.64.10.1", g.address().toString());
    }

    @Test
    void slash30HasTwoAddressesThenExhausts() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/30", "");
        assertEquals("100.64.10.1/30", next(ipam, id));
        assertEquals("100.64.10.2/30", next(ipam, id));
        refused(IpamException.Kind.EXHAUSTED, "no free address left in pool 100.64.10.0/30 (range 100.64.10.0/30",
                () -> next(ipam, id));
    }

    @Test
    void slash29HasSixAddressesNeverNetworkOrBroadcast() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.8/29", "");
        Set<String> got = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            got.add(next(ipam, id));
        }
        assertEquals(Set.of("100.64.10.9/29", "100.64.10.10/29", "100.64.10.11/29", "100.64.10.12/29",
                "100.64.10.13/29", "100.64.10.14/29"), got);
        refused(IpamException.Kind.EXHAUSTED, "no free address left in pool 100.64.10.8/29", () -> next(ipam, id));
        // freeing one makes exactly that one available again
        ipam.releaseAddress(id, "100.64.10.12");
        assertEquals("100.64.10.12/29", next(ipam, id));
        refused(IpamException.Kind.EXHAUSTED, "no free address left", () -> next(ipam, id));
    }

    @Test
    void networkAndBroadcastCannotBeRequested() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/24", "");
        refused(IpamException.Kind.ADDRESS_IN_USE, "network address", () -> ipam.requestAddress(id, "100.64.10.0", null));
        refused(IpamException.Kind.ADDRESS_IN_USE, "broadcast address", () -> ipam.requestAddress(id, "100.64.10.255", null));
    }

    @Test
    void subPoolRangeIncludingPoolEdgesSkipsThem() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/30", "100.64.10.0/31");
        assertEquals("100.64.10.1/30", next(ipam, id));
        refused(IpamException.Kind.EXHAUSTED, "range 100.64.10.0/31", () -> next(ipam, id));
    }

    @Test
    void specificAddressRules() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/24", "");
        assertEquals("100.64.10.7/24", ipam.requestAddress(id, "100.64.10.7", null).cidrNotation());
        refused(IpamException.Kind.ADDRESS_IN_USE, "address 100.64.10.7 is already in use in pool 100.64.10.0/24",
                () -> ipam.requestAddress(id, "100.64.10.7", null));
        refused(IpamException.Kind.OUT_OF_RANGE, "address 10.9.9.9 is outside pool 100.64.10.0/24",
                () -> ipam.requestAddress(id, "10.9.9.9", null));
        refused(IpamException.Kind.INVALID_REQUEST, "invalid IPv4 address \"100.64.10.300\"",
                () -> ipam.requestAddress(id, "100.64.10.300", null));
        refused(IpamException.Kind.INVALID_REQUEST, "invalid IPv4 address \"100.64.10.8/24\"",
                () -> ipam.requestAddress(id, "100.64.10.8/24", null));
        refused(IpamException.Kind.UNSUPPORTED, "IPv6", () -> ipam.requestAddress(id, "fd00::8", null));
    }

    @Test
    void inUseMessageSaysWhoHoldsIt() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/24", "");
        ipam.requestAddress(id, "", GATEWAY);
        refused(IpamException.Kind.ADDRESS_IN_USE, "(it is the gateway)", () -> ipam.requestAddress(id, "100.64.10.1", null));
        ipam.requestAddress(id, "100.64.10.9", Map.of("com.docker.network.endpoint.name", "web1"));
        refused(IpamException.Kind.ADDRESS_IN_USE, "(by web1)", () -> ipam.requestAddress(id, "100.64.10.9", null));
    }

    @Test
    void automaticAddressesNeverCollideWithSpecificOnes() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/29", "");
        ipam.requestAddress(id, "100.64.10.2", null);
        ipam.requestAddress(id, "100.64.10.3", null);
        assertEquals("100.64.10.1/29", next(ipam, id));
        assertEquals("100.64.10.4/29", next(ipam, id));
    }

    @Test
    void automaticAddressesComeFromTheSubPoolOnly() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/24", "100.64.10.128/30");
        assertEquals("100.64.10.128/24", next(ipam, id)); // not the pool's network address: usable here
        assertEquals("100.64.10.129/24", next(ipam, id));
        assertEquals("100.64.10.130/24", next(ipam, id));
        assertEquals("100.64.10.131/24", next(ipam, id));
        refused(IpamException.Kind.EXHAUSTED, "no free address left in pool 100.64.10.0/24 (range 100.64.10.128/30",
                () -> next(ipam, id));
    }

    @Test
    void gatewayAndAuxAddressesMayLieOutsideTheSubPool() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/24", "100.64.10.128/25");
        // --gateway 100.64.10.1 and --aux-address x=100.64.10.2, both outside the ip-range
        assertEquals("100.64.10.1/24", ipam.requestAddress(id, "100.64.10.1", GATEWAY).cidrNotation());
        assertEquals("100.64.10.2/24", ipam.requestAddress(id, "100.64.10.2", null).cidrNotation());
        // outside the pool is still refused
        refused(IpamException.Kind.OUT_OF_RANGE, "address 100.64.11.1 is outside pool 100.64.10.0/24",
                () -> ipam.requestAddress(id, "100.64.11.1", GATEWAY));
        assertEquals("100.64.10.128/24", next(ipam, id));
    }

    @Test
    void automaticGatewayIsTheLowestFreeAddress() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/24", "");
        assertEquals("100.64.10.1/24", ipam.requestAddress(id, "", GATEWAY).cidrNotation());
        assertEquals("100.64.10.2/24", next(ipam, id));
        assertEquals("100.64.10.3/24", next(ipam, id));
        ipam.releaseAddress(id, "100.64.10.1");
        assertEquals("100.64.10.1/24", ipam.requestAddress(id, "", GATEWAY).cidrNotation());
        assertEquals("100.64.10.4/24", next(ipam, id), "the gateway does not move the cursor");
    }

    @Test
    void justReleasedAddressIsNotReusedAtOnce() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/29", "");
        assertEquals("100.64.10.1/29", next(ipam, id));
        assertEquals("100.64.10.2/29", next(ipam, id));
        ipam.releaseAddress(id, "100.64.10.2");
        assertEquals("100.64.10.3/29", next(ipam, id));
        ipam.releaseAddress(id, "100.64.10.1");
        assertEquals("100.64.10.4/29", next(ipam, id));
        assertEquals("100.64.10.5/29", next(ipam, id));
        assertEquals("100.64.10.6/29", next(ipam, id));
        // the cursor wraps around to the lowest free address
        assertEquals("100.64.10.1/29", next(ipam, id));
        assertEquals("100.64.10.2/29", next(ipam, id));
    }

    @Test
    void unknownPoolId() {
        Ipam ipam = ipam();
        refused(IpamException.Kind.UNKNOWN_POOL, "unknown pool ID \"jweave-local:100.64.99.0/24#1\"",
                () -> ipam.requestAddress("jweave-local:100.64.99.0/24#1", "", null));
        refused(IpamException.Kind.UNKNOWN_POOL, "unknown pool ID \"null\"", () -> ipam.requestAddress(null, "", null));
    }

    @Test
    void releaseAddressIsIdempotent() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/24", "");
        next(ipam, id);
        ipam.releaseAddress(id, "100.64.10.1");
        ipam.releaseAddress(id, "100.64.10.1");
        ipam.releaseAddress(id, "100.64.10.200");     // never allocated
        ipam.releaseAddress(id, "10.9.9.9");          // outside the pool
        ipam.releaseAddress("no-such-pool", "100.64.10.1");
        assertEquals(0, ipam.snapshot().pools().get(0).used());
        refused(IpamException.Kind.INVALID_REQUEST, "invalid IPv4 address", () -> ipam.releaseAddress(id, "garbage"));
    }

    @Test
    void unknownRequestAddressOptionsAreIgnored() {
        Ipam ipam = ipam();
        String id = pool(ipam, "100.64.10.0/24", "");
        Map<String, String> opts = Map.of("com.docker.network.endpoint.macaddress", "02:42:ac:11:00:02",
                "com.docker.network.endpoint.name", "db", "something.new", "x");
        assertEquals("100.64.10.1/24", ipam.requestAddress(id, "", opts).cidrNotation());
    }

    @Test
    void snapshotCountsAndAllocations() {
        Ipam ipam = ipam();
        String a = pool(ipam, "100.64.10.0/24", "100.64.10.128/25");
        String b = pool(ipam, "100.64.9.0/29", "");
        ipam.requestAddress(a, "100.64.10.1", GATEWAY);
        ipam.requestAddress(a, "", Map.of("com.docker.network.endpoint.name", "web1"));
        ipam.requestAddress(b, "", null);
        IpamSnapshot snap = ipam.snapshot();
        assertEquals(Cidr.parse("100.64.0.0/16"), snap.autoRange());
        assertEquals(24, snap.autoPrefix());
        assertEquals(List.of("100.64.9.0/29", "100.64.10.0/24"),
                snap.pools().stream().map(p -> p.pool().toString()).toList());
        IpamSnapshot.PoolStatus pa = snap.pools().get(1);
        assertEquals(a, pa.poolId());
        assertEquals(Optional.of(Cidr.parse("100.64.10.128/25")), pa.subPool());
        assertEquals(127, pa.usable());   // .128 .. .254 (.255 is the broadcast address)
        assertEquals(2, pa.used());       // the gateway is outside the range but counts as used
        assertEquals(126, pa.free());
        assertFalse(pa.automatic());
        List<IpamSnapshot.AllocationStatus> allocs = new ArrayList<>(pa.allocations());
        assertEquals("100.64.10.1", allocs.get(0).address().toString());
        assertTrue(allocs.get(0).gateway());
        assertTrue(allocs.get(0).requested());
        assertEquals(Optional.of("web1"), allocs.get(1).name());
        IpamSnapshot.PoolStatus pb = snap.pools().get(0);
        assertEquals(6, pb.usable());
        assertEquals(1, pb.used());
        assertEquals(5, pb.free());
        assertNotEquals(pa.poolId(), pb.poolId());
    }

    @Test
    void blockOwnershipLimitsAndGrowsTheSearch() {
        // a stand-in for the multi-host block authority: owns 100.64.10.16/30 first, then gets .32/30
        List<Cidr> owned = new ArrayList<>(List.of(Cidr.parse("100.64.10.16/30")));
        List<Cidr> spare = new ArrayList<>(List.of(Cidr.parse("100.64.10.32/30")));
        List<String> checked = new ArrayList<>();
        BlockOwnership blocks = new BlockOwnership() {
            @Override
            public List<Cidr> ownedBlocks(String poolId, Cidr range) {
                return List.copyOf(owned);
            }

            @Override
            public Optional<Cidr> acquireBlock(String poolId, Cidr range) {
                if (spare.isEmpty()) {
                    return Optional.empty();
                }
                Cidr b = spare.remove(0);
                owned.add(b);
                return Optional.of(b);
            }

            @Override
            public void checkSpecific(String poolId, Cidr pool, Ipv4Address address) {
                if (!owned.stream().anyMatch(b -> b.contains(address))) {
                    throw new IpamException(IpamException.Kind.CLAIMED_ELSEWHERE, address + " belongs to host2");
                }
                checked.add(address.toString());
            }

            @Override
            public void poolReleased(String poolId) {
                owned.clear();
            }
        };
        Ipam ipam = new Ipam(Cidr.parse("100.64.0.0/16"), 24, List::of, IpamStore.inMemory(),
                PoolClaims.singleHost(), blocks);
        String id = pool(ipam, "100.64.10.0/24", "");
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            got.add(next(ipam, id));
        }
        assertEquals(List.of("100.64.10.16/24", "100.64.10.17/24", "100.64.10.18/24", "100.64.10.19/24",
                "100.64.10.32/24", "100.64.10.33/24", "100.64.10.34/24", "100.64.10.35/24"), got);
        refused(IpamException.Kind.EXHAUSTED, "no free address left", () -> next(ipam, id));
        refused(IpamException.Kind.CLAIMED_ELSEWHERE, "belongs to host2", () -> ipam.requestAddress(id, "100.64.10.50", null));
        // the network's gateway is the same on every host: granted even inside another host's block
        assertEquals("100.64.10.1/24", ipam.requestAddress(id, "100.64.10.1",
                Map.of(Ipam.REQUEST_ADDRESS_TYPE_OPTION, Ipam.GATEWAY_ADDRESS_TYPE)).cidrNotation());
        assertEquals(8, ipam.snapshot().pools().get(0).usable());
        ipam.releasePool(id);
        assertTrue(owned.isEmpty());
        assertTrue(checked.isEmpty());
    }
}
