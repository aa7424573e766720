package io.jweave.discovery;

import com.hazelcast.cluster.Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.jweave.discovery.TestSupport.await;
import static io.jweave.discovery.TestSupport.config;
import static io.jweave.discovery.TestSupport.endpoint;
import static io.jweave.discovery.TestSupport.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real split brain inside one JVM: the links between {a, b} and {c} are cut (both directions),
 * both sides carry on, then the links come back and the sides merge.
 */
class PartitionTest {

    private final List<Mesh> started = new ArrayList<>();

    @AfterEach
    void closeAll() {
        started.forEach(Mesh::close);
    }

    @Test
    void bothSidesCarryOnOnlyTheMajorityClaimsAndEverythingConvergesAfterTheMerge() throws Exception {
        String cl = TestSupport.cluster("split");
        int pa = freePort(), pb = freePort(), pc = freePort();
        Firewall fa = new Firewall(), fb = new Firewall(), fc = new Firewall();
        Mesh a = start(config(cl, "a", pa), fa);
        Mesh b = start(config(cl, "b", pb, pa), fb);
        Mesh c = start(config(cl, "c", pc, pa), fc);
        for (Mesh m : List.of(a, b, c)) {
            await("known hosts on " + m.localName(), Duration.ofSeconds(5), () -> m.claims().knownHosts().size() == 3);
        }
        a.endpoints().publish("a1", endpoint("blue", "100.64.0.2", "a"));
        c.endpoints().publish("c1", endpoint("blue", "100.64.0.66", "c"));
        assertTrue(c.claims().claim("pool/100.64.0.0/24").granted());
        await("rows everywhere", Duration.ofSeconds(3), () -> b.endpoints().all().size() == 2);
        List<String> merged = new CopyOnWriteArrayList<>();
        for (Mesh m : List.of(a, b, c)) {
            m.subscribe(new MeshListener() {
                @Override
                public void merged() {
                    merged.add(m.localName());
                }
            });
        }

        // cut {a,b} | {c}
        Address aa = new Address("127.0.0.1", pa), ab = new Address("127.0.0.1", pb), ac = new Address("127.0.0.1", pc);
        long cut = System.nanoTime();
        fa.block(ac);
        fb.block(ac);
        fc.block(aa);
        fc.block(ab);
        Duration split = await("both sides see the split", Duration.ofSeconds(10), () -> up(a) == 2 && up(b) == 2 && up(c) == 1);
        System.out.printf("SPLIT detected by both sides %d ms after the cut%n", split.toMillis());
        await("c's rows gone on the majority", Duration.ofSeconds(2), () -> a.endpoints().byOwner("c").isEmpty());
        await("a's rows gone on the minority", Duration.ofSeconds(2), () -> c.endpoints().byOwner("a").isEmpty());

        // both sides carry on with their own rows
        a.endpoints().publish("a2", endpoint("blue", "100.64.0.3", "a"));
        c.endpoints().publish("c2", endpoint("blue", "100.64.0.67", "c"));
        c.endpoints().remove("c1");
        // only the majority can claim; the minority keeps what it had
        ClaimResult minority = c.claims().claim("block/100.64.0.0/24/100.64.0.64/26");
        assertEquals(ClaimResult.Status.NO_QUORUM, minority.status(), minority.detail());
        assertTrue(minority.detail().contains("1 of 3 known hosts"), minority.detail());
        ClaimResult majority = a.claims().claim("block/100.64.0.0/24/100.64.0.64/26");
        assertEquals(ClaimResult.Status.GRANTED, majority.status(), majority.detail());
        assertEquals("c", c.claims().holder("pool/100.64.0.0/24").orElseThrow(), "the minority keeps its claim");
        assertEquals("c", a.claims().holder("pool/100.64.0.0/24").orElseThrow(), "the majority keeps it too (grace)");

        // heal
        long heal = System.nanoTime();
        fa.unblockAll();
        fb.unblockAll();
        fc.unblockAll();
        Duration merge = await("merged into one mesh", Duration.ofSeconds(30), () -> up(a) == 3 && up(b) == 3 && up(c) == 3);
        Duration converge = await("rows and claims converged", Duration.ofSeconds(15), () -> {
            for (Mesh m : List.of(a, b, c)) {
                List<String> rows = m.endpoints().all().stream().map(r -> r.owner() + "/" + r.key()).toList();
                if (!rows.equals(List.of("a/a1", "a/a2", "c/c2"))) {
                    return false;
                }
                if (!m.claims().holder("block/100.64.0.0/24/100.64.0.64/26").map("a"::equals).orElse(false)
                        || !m.claims().holder("pool/100.64.0.0/24").map("c"::equals).orElse(false)) {
                    return false;
                }
            }
            return true;
        });
        await("merged() on the minority", Duration.ofSeconds(5), () -> merged.contains("c"));
        System.out.printf("MERGE after heal: one mesh again in %d ms, rows and claims converged %d ms later "
                + "(partition lasted %d ms); merged() fired on %s%n", merge.toMillis(), converge.toMillis(),
                (heal - cut) / 1_000_000, merged);
        // nothing granted twice: the block stays a's, c cannot take it
        ClaimResult late = c.claims().claim("block/100.64.0.0/24/100.64.0.64/26");
        assertEquals(ClaimResult.Status.HELD, late.status(), late.detail());
        assertEquals("a", late.holder());
    }

    /**
     * The first member, launched without peers, is the one cut off: the majority's master knows its
     * address but, being larger, waits for it to merge; it has no join targets, and finds the
     * others again only through the addresses of members it has seen.
     */
    @Test
    void aMemberWithoutJoinTargetsCutOffAloneMergesBack() throws Exception {
        String cl = TestSupport.cluster("split-first");
        int pa = freePort(), pb = freePort(), pc = freePort();
        Firewall fa = new Firewall(), fb = new Firewall(), fc = new Firewall();
        Mesh a = start(config(cl, "a", pa), fa);
        Mesh b = start(config(cl, "b", pb, pa), fb);
        Mesh c = start(config(cl, "c", pc, pa), fc);
        await("one mesh of three", Duration.ofSeconds(10), () -> up(a) == 3 && up(b) == 3 && up(c) == 3);
        assertEquals(List.of(), a.joinTargets());
        Address aa = new Address("127.0.0.1", pa), ab = new Address("127.0.0.1", pb), ac = new Address("127.0.0.1", pc);
        fa.block(ab);
        fa.block(ac);
        fb.block(aa);
        fc.block(aa);
        await("a cut off alone", Duration.ofSeconds(15), () -> up(a) == 1 && up(b) == 2 && up(c) == 2);
        fa.unblockAll();
        fb.unblockAll();
        fc.unblockAll();
        Duration healed = await("one mesh of three again", Duration.ofSeconds(40), () -> up(a) == 3 && up(b) == 3 && up(c) == 3);
        System.out.printf("HEAL of a member without join targets: %d ms%n", healed.toMillis());
    }

    private static long up(Mesh m) {
        return m.members().stream().filter(p -> p.state() == Peer.State.UP).count();
    }

    private Mesh start(MeshConfig c, Firewall f) {
        Mesh m = Mesh.start(c, MeshMemory.inMemory(), f.factory());
        started.add(m);
        return m;
    }
}
