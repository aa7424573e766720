package io.jweave.ipam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jweave.ipam.Ipam.LOCAL_ADDRESS_SPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpamPersistenceTest {

    private static final Map<String, String> GATEWAY = Map.of("RequestAddressType", "com.docker.network.gateway");

    @TempDir
    Path dir;

    private Ipam open() {
        return new Ipam(Cidr.parse("100.64.0.0/16"), 24, List::of, IpamStore.inDirectory(dir));
    }

    @Test
    void restartLosesNothing() {
        Ipam first = open();
        PoolGrant auto = first.requestPool(LOCAL_ADDRESS_SPACE, "", "", Map.of("jweave.subnet-size", "26"), false);
        PoolGrant explicit = first.requestPool(LOCAL_ADDRESS_SPACE, "100.64.200.0/24", "100.64.200.128/25", null, false);
        first.requestAddress(explicit.poolId(), "100.64.200.1", GATEWAY);
        first.requestAddress(explicit.poolId(), "", Map.of("com.docker.network.endpoint.name", "web1"));
        first.requestAddress(explicit.poolId(), "", null);
        first.requestAddress(explicit.poolId(), "100.64.200.20", null);
        first.releaseAddress(explicit.poolId(), "100.64.200.129"); // cursor stays at .129
        first.requestAddress(auto.poolId(), "", null);
        PoolGrant gone = first.requestPool(LOCAL_ADDRESS_SPACE, "100.64.201.0/24", "", null, false);
        first.requestAddress(gone.poolId(), "", null);
        first.releasePool(gone.poolId());
        IpamSnapshot before = first.snapshot();

        Ipam second = open();
        assertEquals(before, second.snapshot());
        // the round-robin cursor survived: the released .129 is not handed out again at once
        assertEquals("100.64.200.130/24", second.requestAddress(explicit.poolId(), "", null).cidrNotation());
        refused(() -> second.requestAddress(explicit.poolId(), "100.64.200.1", null), "already in use");
        // held pools are still held, the released one is free, PoolIDs are not re-used
        assertThrows(IpamException.class, () -> second.requestPool(LOCAL_ADDRESS_SPACE, "100.64.200.0/25", "", null, false));
        PoolGrant next = second.requestPool(LOCAL_ADDRESS_SPACE, "", "", null, false);
        assertEquals("100.64.1.0/24", next.pool().toString());
        PoolGrant reused = second.requestPool(LOCAL_ADDRESS_SPACE, "100.64.201.0/24", "", null, false);
        assertNotEquals(gone.poolId(), reused.poolId());
        assertEquals("100.64.201.1/24", second.requestAddress(reused.poolId(), "", null).cidrNotation());
    }

    @Test
    void fileIsReadableJson() throws Exception {
        Ipam ipam = open();
        PoolGrant g = ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.10.0/24", "", null, false);
        ipam.requestAddress(g.poolId(), "", Map.of("com.docker.network.endpoint.name", "db"));
        Path file = dir.resolve("ipam.json");
        assertTrue(Files.exists(file));
        assertFalse(Files.exists(dir.resolve("ipam.json.tmp")), "no temp file left behind");
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        assertEquals(1, root.get("version").asInt());
        JsonNode pool = root.get("pools").get(0);
        assertEquals(g.poolId(), pool.get("id").asText());
        assertEquals("100.64.10.0/24", pool.get("pool").asText());
        assertEquals("100.64.10.1", pool.get("cursor").asText());
        assertEquals("100.64.10.1", pool.get("allocations").get(0).get("address").asText());
        assertEquals("db", pool.get("allocations").get(0).get("name").asText());
    }

    @Test
    void corruptFileIsReportedWithItsName() throws Exception {
        Path file = dir.resolve("ipam.json");
        Files.writeString(file, "{\"version\": 1, \"pools\": [ {\"id\": ");
        IpamStoreException e = assertThrows(IpamStoreException.class, this::open);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
        assertEquals(file, e.file());

        Files.writeString(file, "");
        e = assertThrows(IpamStoreException.class, this::open);
        assertTrue(e.getMessage().contains("corrupt IPAM state file " + file), e.getMessage());

        Files.writeString(file, "[1, 2, 3]");
        e = assertThrows(IpamStoreException.class, this::open);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

        Files.writeString(file, "{\"version\": 1, \"nextSerial\": 1, \"pools\": [], \"surprise\": true}");
        e = assertThrows(IpamStoreException.class, this::open);
        assertTrue(e.getMessage().contains("surprise"), e.getMessage());
    }

    @Test
    void inconsistentContentIsReported() throws Exception {
        Path file = dir.resolve("ipam.json");
        String pool = "{\"id\": \"p1\", \"addressSpace\": \"jweave-local\", \"pool\": \"%s\", \"automatic\": false,"
                + " \"allocations\": [%s]}";
        assertCorrupt(file, "{\"version\": 2, \"nextSerial\": 1, \"pools\": []}", "format version 2");
        assertCorrupt(file, state(String.format(pool, "100.64.10.5/24", "")), "not a network address");
        assertCorrupt(file, state(String.format(pool, "100.64.10.0/24", "{\"address\": \"100.64.11.1\"}")),
                "address 100.64.11.1 is outside 100.64.10.0/24");
        assertCorrupt(file, state(String.format(pool, "100.64.10.0/24",
                "{\"address\": \"100.64.10.1\"}, {\"address\": \"100.64.10.1\"}")), "listed twice");
        assertCorrupt(file, state(String.format(pool, "100.64.10.0/24", "{\"address\": \"100.64.10.0\"}")),
                "network or broadcast");
        assertCorrupt(file, state(String.format(pool, "100.64.10.0/24", "") + ", "
                + String.format(pool, "100.64.0.0/16", "").replace("p1", "p2")), "overlaps pool p1");
        assertCorrupt(file, state(String.format(pool, "100.64.10.0/24", "") + ", "
                + String.format(pool, "100.64.12.0/24", "")), "appears twice");
    }

    private static String state(String pools) {
        return "{\"version\": 1, \"nextSerial\": 3, \"pools\": [" + pools + "]}";
    }

    private void assertCorrupt(Path file, String content, String expected) throws Exception {
        Files.writeString(file, content);
        IpamStoreException e = assertThrows(IpamStoreException.class, this::open);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void handWrittenStateIsAccepted() throws Exception {
        Files.writeString(dir.resolve("ipam.json"), state("{\"id\": \"p1\", \"addressSpace\": \"jweave-local\","
                + " \"pool\": \"100.64.10.0/24\", \"allocations\": [{\"address\": \"100.64.10.1\", \"gateway\": true}]}"));
        Ipam ipam = open();
        assertEquals("100.64.10.2/24", ipam.requestAddress("p1", "", null).cidrNotation());
    }

    @Test
    void leftoverTempFileIsIgnoredAndRemoved() throws Exception {
        Ipam ipam = open();
        PoolGrant g = ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.10.0/24", "", null, false);
        Files.writeString(dir.resolve("ipam.json.tmp"), "{ half a wri");
        Ipam again = open();
        assertEquals(List.of(g.poolId()), again.snapshot().pools().stream().map(IpamSnapshot.PoolStatus::poolId).toList());
        assertFalse(Files.exists(dir.resolve("ipam.json.tmp")));
    }

    @Test
    void missingDataDirectoryIsCreated() {
        Path nested = dir.resolve("var/lib/jweave");
        Ipam ipam = new Ipam(Cidr.parse("100.64.0.0/16"), 24, List::of, IpamStore.inDirectory(nested));
        ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", null, false);
        assertTrue(Files.exists(nested.resolve("ipam.json")));
    }

    @Test
    void failedWriteUndoesTheChange() {
        AtomicBoolean broken = new AtomicBoolean();
        IpamStore memory = IpamStore.inMemory();
        IpamStore flaky = new IpamStore() {
            @Override
            public Optional<IpamState> load() {
                return memory.load();
            }

            @Override
            public void save(IpamState state) {
                if (broken.get()) {
                    throw new IpamStoreException(null, "disk full", null);
                }
                memory.save(state);
            }
        };
        Ipam ipam = new Ipam(Cidr.parse("100.64.0.0/16"), 24, List::of, flaky);
        PoolGrant g = ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.10.0/24", "", null, false);
        ipam.requestAddress(g.poolId(), "", null);
        IpamSnapshot before = ipam.snapshot();

        broken.set(true);
        assertThrows(IpamStoreException.class, () -> ipam.requestAddress(g.poolId(), "", null));
        assertThrows(IpamStoreException.class, () -> ipam.requestAddress(g.poolId(), "100.64.10.9", null));
        assertThrows(IpamStoreException.class, () -> ipam.releaseAddress(g.poolId(), "100.64.10.1"));
        assertThrows(IpamStoreException.class, () -> ipam.releasePool(g.poolId()));
        assertThrows(IpamStoreException.class, () -> ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", null, false));
        assertEquals(before, ipam.snapshot());

        broken.set(false);
        assertEquals("100.64.10.2/24", ipam.requestAddress(g.poolId(), "", null).cidrNotation());
        assertEquals("100.64.0.0/24", ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", null, false).pool().toString());
        assertEquals(ipam.snapshot(), new Ipam(Cidr.parse("100.64.0.0/16"), 24, List::of, flaky).snapshot());
    }

    private static void refused(Runnable call, String messagePart) {
        IpamException e = assertThrows(IpamException.class, call::run);
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }
}
