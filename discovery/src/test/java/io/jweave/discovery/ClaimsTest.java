package io.jweave.discovery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.jweave.discovery.TestSupport.await;
import static io.jweave.discovery.TestSupport.config;
import static io.jweave.discovery.TestSupport.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClaimsTest {

    @RegisterExtension
    final StartedMeshes meshes = new StartedMeshes();

    private List<Mesh> three(String test, Duration grace) {
        String cl = TestSupport.cluster(test);
        int pa = freePort(), pb = freePort(), pc = freePort();
        Mesh a = meshes.start(config(cl, "a", pa).withReclaimGrace(grace));
        Mesh b = meshes.start(config(cl, "b", pb, pa).withReclaimGrace(grace));
        Mesh c = meshes.start(config(cl, "c", pc, pa).withReclaimGrace(grace));
        for (Mesh m : List.of(a, b, c)) {
            await("three known hosts on " + m.localName(), Duration.ofSeconds(5),
                    () -> m.claims().knownHosts().size() == 3 && m.claims().hasQuorum());
        }
        return List.of(a, b, c);
    }

    @Test
    void concurrentClaimsOfTheSameKeyHaveExactlyOneWinner() throws Exception {
        List<Mesh> ms = three("race", Duration.ofMinutes(10));
        int keys = 8;
        ExecutorService pool = Executors.newFixedThreadPool(ms.size());
        try {
            Map<String, List<String>> winners = new ConcurrentHashMap<>();
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            for (Mesh m : ms) {
                fs.add(pool.submit(() -> {
                    go.await();
                    for (int k = 0; k < keys; k++) {
                        ClaimResult r = m.claims().claim("vni/" + (4000 + k));
                        if (r.granted()) {
                            winners.computeIfAbsent("vni/" + (4000 + k), x -> new CopyOnWriteArrayList<>()).add(m.localName());
                        } else {
                            assertNotEquals(ClaimResult.Status.NO_QUORUM, r.status(), r.detail());
                        }
                    }
                    return null;
                }));
            }
            long t0 = System.nanoTime();
            go.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
            System.out.printf("CLAIMS %d keys x %d members concurrently in %d ms%n", keys, ms.size(),
                    (System.nanoTime() - t0) / 1_000_000);
            for (int k = 0; k < keys; k++) {
                String key = "vni/" + (4000 + k);
                List<String> w = winners.getOrDefault(key, List.of());
                assertEquals(1, w.size(), key + " granted to " + w);
                for (Mesh m : ms) {
                    await(key + " known on " + m.localName(), Duration.ofSeconds(3),
                            () -> m.claims().holder(key).map(w.get(0)::equals).orElse(false));
                    ClaimResult again = m.claims().claim(key);
                    assertEquals(m.localName().equals(w.get(0)) ? ClaimResult.Status.GRANTED : ClaimResult.Status.HELD,
                            again.status(), again.detail());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void blocksAreOwnedLocallyAndReclaimedOnlyAfterTheGracePeriod() {
        Duration grace = Duration.ofSeconds(4);
        List<Mesh> ms = three("blocks", grace);
        Mesh a = ms.get(0), b = ms.get(1), c = ms.get(2);
        AddressBlocks ba = a.addressBlocks("100.64.10.0/24", 26);
        AddressBlocks bb = b.addressBlocks("100.64.10.0/24", 26);
        AddressBlocks bc = c.addressBlocks("100.64.10.0/24", 26);
        assertEquals("100.64.10.0/26", ba.acquire().orElseThrow());
        assertEquals("100.64.10.64/26", bc.acquire().orElseThrow());
        await("a's block known on b", Duration.ofSeconds(2), () -> bb.holderOf("100.64.10.5").isPresent());
        assertEquals("100.64.10.128/26", bb.acquire().orElseThrow());
        assertEquals("100.64.10.192/26", ba.acquire().orElseThrow());
        assertEquals(List.of("100.64.10.0/26", "100.64.10.192/26"), ba.owned());
        assertTrue(ba.acquire().isEmpty(), "pool exhausted");
        await("c's block known on a", Duration.ofSeconds(2), () -> ba.holderOf("100.64.10.70").isPresent());
        assertEquals("c", ba.holderOf("100.64.10.70").orElseThrow());

        List<String> released = new CopyOnWriteArrayList<>();
        a.claims().subscribe(new ClaimListener() {
            @Override
            public void released(Claim previous) {
                released.add(previous.key() + " of " + previous.holder());
            }
        });
        long t0 = System.nanoTime();
        c.close();
        meshes.release(c);
        await("c gone", Duration.ofSeconds(5), () -> a.members().stream().filter(p -> p.state() == Peer.State.UP).count() == 2);
        assertEquals("c", ba.holderOf("100.64.10.70").orElseThrow(), "kept during the grace period");
        assertTrue(a.claims().hasQuorum(), "2 of 3 known hosts");
        Duration reclaimed = await("c's block reclaimed", Duration.ofSeconds(10), () -> ba.holderOf("100.64.10.70").isEmpty()
                && bb.holderOf("100.64.10.70").isEmpty());
        long after = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("RECLAIM grace %d ms: c's block free %d ms after c left%n", grace.toMillis(), after);
        assertTrue(after >= grace.toMillis(), "reclaimed before the grace period: " + after + " ms");
        assertTrue(released.contains("block/100.64.10.0/24/100.64.10.64/26 of c"), released.toString());
        assertFalse(a.claims().knownHosts().contains("c"), "c forgotten: " + a.claims().knownHosts());
        assertEquals("100.64.10.64/26", bb.acquire().orElseThrow());
        await("b's new block on a", Duration.ofSeconds(2), () -> ba.holderOf("100.64.10.70").map("b"::equals).orElse(false));
        // b releases a block: free again for anyone
        bb.release("100.64.10.128/26");
        await("release seen on a", Duration.ofSeconds(2), () -> ba.holderOf("100.64.10.130").isEmpty());
        assertEquals("100.64.10.128/26", ba.acquire().orElseThrow());
        assertTrue(reclaimed.toMillis() >= 0);
    }
}
