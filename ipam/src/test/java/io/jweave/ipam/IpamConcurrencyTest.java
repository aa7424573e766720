package io.jweave.ipam;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.jweave.ipam.Ipam.LOCAL_ADDRESS_SPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpamConcurrencyTest {

    @TempDir
    Path dir;

    private Ipam open() {
        return new Ipam(Cidr.parse("100.64.0.0/16"), 24, List::of, IpamStore.inDirectory(dir));
    }

    private static <T> List<T> runAll(int threads, Callable<List<T>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<T>>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(task));
            }
            List<T> all = new ArrayList<>();
            for (Future<List<T>> f : futures) {
                all.addAll(f.get(120, TimeUnit.SECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void manyThreadsNeverGetTheSameAddress() throws Exception {
        Ipam ipam = open();
        String id = ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.0.0/21", "", null, false).poolId();
        int threads = 8;
        int perThread = 150;
        List<String> got = runAll(threads, () -> {
            List<String> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                String a = ipam.requestAddress(id, "", null).address().toString();
                mine.add(a);
                if (i % 3 == 0) {   // churn: release some of our own and take another
                    ipam.releaseAddress(id, a);
                    mine.remove(mine.size() - 1);
                    mine.add(ipam.requestAddress(id, "", null).address().toString());
                }
            }
            return mine;
        });
        assertEquals(threads * perThread, got.size());
        assertEquals(got.size(), new HashSet<>(got).size(), "an address was handed out twice");
        assertEquals(got.size(), ipam.snapshot().pools().get(0).used());
        // and what is on disk agrees
        assertEquals(ipam.snapshot(), open().snapshot());
    }

    @Test
    void exhaustionUnderContentionGivesEachAddressOnce() throws Exception {
        Ipam ipam = open();
        String id = ipam.requestPool(LOCAL_ADDRESS_SPACE, "100.64.10.0/26", "", null, false).poolId();
        List<String> got = runAll(8, () -> {
            List<String> mine = new ArrayList<>();
            while (true) {
                try {
                    mine.add(ipam.requestAddress(id, "", null).cidrNotation());
                } catch (IpamException e) {
                    assertEquals(IpamException.Kind.EXHAUSTED, e.kind());
                    return mine;
                }
            }
        });
        assertEquals(62, got.size());
        assertEquals(62, new HashSet<>(got).size());
    }

    @Test
    void concurrentAutomaticPoolsAreDistinct() throws Exception {
        Ipam ipam = open();
        List<Cidr> got = runAll(8, () -> {
            List<Cidr> mine = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                mine.add(ipam.requestPool(LOCAL_ADDRESS_SPACE, "", "", null, false).pool());
            }
            return mine;
        });
        Set<Cidr> distinct = new HashSet<>(got);
        assertEquals(128, distinct.size());
        for (Cidr a : got) {
            for (Cidr b : got) {
                assertTrue(a == b || !a.overlaps(b), a + " overlaps " + b);
            }
        }
    }
}
