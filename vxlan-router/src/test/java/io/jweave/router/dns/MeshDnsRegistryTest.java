package io.jweave.router.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.discovery.Mesh;
import io.jweave.discovery.MeshConfig;
import io.jweave.discovery.OwnedTable;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The registry over a real (one-member, loopback) mesh table: scope, round robin, PTR, manual records, withdrawal. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeshDnsRegistryTest {
    private Mesh mesh;
    private OwnedTable<NameRecord> table;
    private MeshDnsRegistry registry;

    @BeforeAll
    void up() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        mesh = Mesh.start(MeshConfig.of("a", InetAddress.getLoopbackAddress()).withPort(port)
                .withClusterName("dnsreg-" + UUID.randomUUID()));
        table = mesh.table("dns", NameRecord.CODEC);
        registry = new MeshDnsRegistry(mesh, table);
        table.publish(NameRecord.containerKey("c1", "blue"), new NameRecord("blue", "100.64.0.2",
                List.of("web.jweave.local", "rr.jweave.local"), "c1"));
        table.publish(NameRecord.containerKey("c2", "blue"), new NameRecord("blue", "100.64.0.3",
                List.of("web2.jweave.local", "rr.jweave.local"), "c2"));
        table.publish(NameRecord.containerKey("c3", "blue"), new NameRecord("blue", "100.64.0.4",
                List.of("rr.jweave.local"), "c3"));
        table.publish(NameRecord.containerKey("c4", "red"), new NameRecord("red", "100.65.0.2", List.of("db.jweave.local"), "c4"));
        table.publish(NameRecord.containerKey("c4", "blue"), new NameRecord("blue", "100.64.0.9", List.of("db.jweave.local"), "c4"));
        table.publish(NameRecord.containerKey("c5", "red"), new NameRecord("red", "100.65.0.3", List.of("redonly.jweave.local"), "c5"));
        table.publish(NameRecord.manualKey("192.0.2.7", "ext.jweave.local"),
                new NameRecord("", "192.0.2.7", List.of("ext.jweave.local"), ""));
        await(() -> registry.entries().size() == 7);
    }

    @AfterAll
    void down() {
        registry.close();
        mesh.close();
    }

    private static Inet4Address ip(String s) {
        return DnsNames.ipv4(s);
    }

    @Test
    void scopeIsEveryNetworkOfTheAskingContainer() {
        assertEquals(Set.of("blue", "red"), registry.scope("blue", ip("100.64.0.9")));
        assertEquals(Set.of("blue"), registry.scope("blue", ip("100.64.0.2")));
        assertEquals(Set.of("blue"), registry.scope("blue", ip("100.64.0.200")), "unknown client: its network only");
    }

    @Test
    void answersAreScopedAndManualGlobalRecordsSeenEverywhere() {
        assertEquals(List.of(ip("100.64.0.2")), registry.addresses("web.jweave.local", Set.of("blue")));
        assertEquals(List.of(), registry.addresses("redonly.jweave.local", Set.of("blue")));
        assertEquals(List.of(ip("100.65.0.3")), registry.addresses("redonly.jweave.local", Set.of("blue", "red")));
        assertEquals(List.of(ip("192.0.2.7")), registry.addresses("ext.jweave.local", Set.of("red")));
        assertEquals(List.of(), registry.addresses("nosuch.jweave.local", Set.of("blue")));
    }

    @Test
    void severalContainersUnderOneNameAreAllReturnedInVaryingOrder() {
        Set<List<Inet4Address>> orders = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            List<Inet4Address> a = registry.addresses("rr.jweave.local", Set.of("blue"));
            assertEquals(Set.of(ip("100.64.0.2"), ip("100.64.0.3"), ip("100.64.0.4")), new HashSet<>(a));
            assertEquals(3, a.size());
            orders.add(a);
        }
        assertTrue(orders.size() > 1, "shuffled: " + orders);
    }

    @Test
    void reverseLookupGivesEveryNameOfTheAddress() {
        assertEquals(Set.of("web.jweave.local", "rr.jweave.local"), new HashSet<>(registry.names(ip("100.64.0.2"), Set.of("blue"))));
        assertEquals(List.of(), registry.names(ip("100.65.0.3"), Set.of("blue")));
    }

    @Test
    void aWithdrawnRowIsGoneAtOnce() {
        table.publish(NameRecord.containerKey("tmp", "blue"), new NameRecord("blue", "100.64.0.77", List.of("tmp.jweave.local"), "tmp"));
        await(() -> !registry.addresses("tmp.jweave.local", Set.of("blue")).isEmpty());
        table.remove(NameRecord.containerKey("tmp", "blue"));
        await(() -> registry.addresses("tmp.jweave.local", Set.of("blue")).isEmpty());
        assertEquals(0, registry.keptCount(), "the owner withdrew it: nothing kept");
    }

    private static void await(BooleanSupplier cond) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
