package io.jweave.it.bench;

import io.jweave.it.testbed.HostProcess;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.Testbed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Router start-up and memory on two simulated hosts.
 *
 * <p>Start to ready: {@code ./jweave launch --foreground} spawned on host1 (a mesh of one), then on
 * host2 joining host1; time from the spawn until the router printed "jweave router NAME ready"
 * (printed after the mesh is joined and the plugin socket is served) and until its socket answered
 * {@code Plugin.Activate}. Fresh data directories every round; the jars are already built. Each
 * round starts the pair twice, alternating: without the class-data archive ({@code JWEAVE_CDS=0},
 * the baseline) and with it (as shipped; the archive is made once before the rounds).
 *
 * <p>RSS: VmRSS of each router's JVM after 15 s idle (one network, no endpoint), then after a
 * throwaway mesh member ({@link MeshFiller}, in host2's namespace) published N endpoint rows of a
 * network both hosts have, which makes each router program N FDB + N neighbour entries.
 */
final class MeshRouterBench {
    private static final long SETTLE_MS = 15_000;

    private MeshRouterBench() {
    }

    static void run(int rounds, int endpoints) throws Exception {
        MeshBench.header("Router start to ready and RSS (" + rounds + " rounds; " + endpoints + " remote endpoints)");
        // index 0: without the class-data archive (baseline), 1: with it
        List<List<Double>> firstReady = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Double>> firstAnswers = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Double>> joinReady = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Double>> joinAnswers = List.of(new ArrayList<>(), new ArrayList<>());
        List<Map<String, List<Double>>> phases1 = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
        List<Map<String, List<Double>>> phases2 = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
        String[] variant = {"no class-data archive", "class-data archive"};
        List<List<Double>> readyRss = List.of(new ArrayList<>(), new ArrayList<>());
        double[] idle = new double[2];
        double[] loaded = new double[2];
        double programmedMs;
        double withdrawnMs;
        String heapIdle;
        String heapLoaded;
        List<Double> jvmFloor = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<String> cmd = new ArrayList<>(MeshRouter.routerJvm());
            cmd.add("version");
            Result v = MeshBench.run(Duration.ofSeconds(60), cmd.toArray(String[]::new));
            if (v.ok()) {
                jvmFloor.add(v.elapsed().toNanos() / 1e6);
            }
        }
        // the archive the wrapper uses, made now so that no round pays for it
        List<String> train = new ArrayList<>(MeshRouter.routerJvm());
        train.add("cds-archive");
        Result made = MeshBench.run(Duration.ofMinutes(5), train.toArray(String[]::new));
        if (!made.ok()) {
            throw new IllegalStateException("cannot make the class-data archive: " + made.describe());
        }
        System.out.printf("class-data archive made (training start) in %d ms%n", made.elapsed().toMillis());
        try (Testbed tb = Testbed.builder().hosts(2).image(false).start()) {
            SimHost a = tb.host(1);
            SimHost b = tb.host(2);
            MeshRouter r1 = null;
            MeshRouter r2 = null;
            for (int i = 0; i < rounds; i++) {
                for (int v = 0; v < 2; v++) {
                    String tag = "jweave-r" + (i + 1) + (v == 0 ? "-nocds" : "-cds");
                    r1 = MeshRouter.launch(a, tag, v == 1);
                    r2 = MeshRouter.launch(b, tag, v == 1, a.underlayIp());
                    firstReady.get(v).add(r1.readyMs());
                    firstAnswers.get(v).add(r1.answersMs());
                    joinReady.get(v).add(r2.readyMs());
                    joinAnswers.get(v).add(r2.answersMs());
                    phases(r1, phases1.get(v));
                    readyRss.get(v).add(r1.rssMiB());
                    readyRss.get(v).add(r2.rssMiB());
                    phases(r2, phases2.get(v));
                    System.out.printf("round %d, %s: first router ready %.0f ms (answers %.0f ms), joining router ready"
                            + " %.0f ms (answers %.0f ms); mesh join took %.0f / %.0f ms; RSS %.0f / %.0f MiB%n", i + 1,
                            variant[v], r1.readyMs(), r1.answersMs(), r2.readyMs(), r2.answersMs(),
                            r1.logNumberAfter("joined as " + a.name() + " in "),
                            r2.logNumberAfter("joined as " + b.name() + " in "), r1.rssMiB(), r2.rssMiB());
                    if (i < rounds - 1 || v == 0) {
                        r2.stop();
                        r1.stop();
                    }
                }
            }

            a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", MeshFiller.SUBNET, MeshFiller.NETWORK);
            MeshBench.awaitNetwork(b, MeshFiller.NETWORK, Duration.ofSeconds(30));
            Path ns1 = awaitNetns(r1);
            Path ns2 = awaitNetns(r2);
            MeshBench.sleep(SETTLE_MS);
            idle[0] = r1.rssMiB();
            idle[1] = r2.rssMiB();
            heapIdle = heap(r1) + " / " + heap(r2);
            System.out.printf("idle (1 network, 0 endpoints, %d s after start): RSS %.0f MiB (host1), %.0f MiB (host2)%n",
                    SETTLE_MS / 1000, idle[0], idle[1]);

            HostProcess filler = MeshFiller.spawn(b, a, endpoints);
            awaitLog(filler, "filler: published", Duration.ofSeconds(120));
            long t0 = System.nanoTime();
            awaitEntries(r1, ns1, endpoints, Duration.ofSeconds(120));
            awaitEntries(r2, ns2, endpoints, Duration.ofSeconds(120));
            programmedMs = (System.nanoTime() - t0) / 1e6;
            System.out.println(filler.logTail(5).strip());
            System.out.printf("%d remote endpoints programmed (FDB + neighbour) on both routers %.0f ms after the filler"
                    + " finished publishing%n", endpoints, programmedMs);
            MeshBench.sleep(SETTLE_MS);
            loaded[0] = r1.rssMiB();
            loaded[1] = r2.rssMiB();
            heapLoaded = heap(r1) + " / " + heap(r2);
            System.out.printf("with %d endpoints (%d s later): RSS %.0f MiB (host1), %.0f MiB (host2)%n", endpoints,
                    SETTLE_MS / 1000, loaded[0], loaded[1]);
            String opts = System.getenv("JWEAVE_JAVA_OPTS");
            if (opts != null && opts.contains("NativeMemoryTracking")) {
                // profiling run: where the router's memory is, by JVM area
                System.out.println(MeshBench.run(Duration.ofSeconds(30), "jcmd", Long.toString(r1.javaPid()),
                        "VM.native_memory", "summary").out());
            }
            long s0 = System.nanoTime();
            filler.stop(Duration.ofSeconds(30));
            try {
                awaitEntries(r1, ns1, 0, Duration.ofSeconds(30));
                awaitEntries(r2, ns2, 0, Duration.ofSeconds(30));
                withdrawnMs = (System.nanoTime() - s0) / 1e6;
                System.out.printf("filler withdrew its rows and left (SIGTERM): %d endpoints removed on both routers in"
                        + " %.0f ms%n", endpoints, withdrawnMs);
            } catch (IllegalStateException e) {
                withdrawnMs = Double.NaN;
                System.out.println("filler left, but its endpoints were not removed within 30 s: "
                        + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        System.out.println();
        System.out.println("| router | rounds | ready p50 ms | min | max | plugin answers p50 ms | answers: ratio to no archive |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int v = 0; v < 2; v++) {
            readyRow("first (mesh of one), " + variant[v], firstReady.get(v), firstAnswers.get(v), firstAnswers.get(0));
        }
        for (int v = 0; v < 2; v++) {
            readyRow("joining an existing mesh, " + variant[v], joinReady.get(v), joinAnswers.get(v), joinAnswers.get(0));
        }
        System.out.printf("%nRSS just after ready (both routers, all rounds, median): %.0f MiB without the archive,"
                + " %.0f MiB with it%n", MeshStats.median(MeshStats.of(readyRss.get(0))),
                MeshStats.median(MeshStats.of(readyRss.get(1))));
        System.out.printf("%nJVM floor: `Main version` with the same JVM, flags and class path: %.0f ms (median of %d)%n",
                MeshStats.median(MeshStats.of(jvmFloor)), jvmFloor.size());
        System.out.println();
        System.out.println("Where start-up time goes (median ms after spawning `./jweave launch`, from the router log):");
        System.out.println();
        System.out.println("| log line | first, no archive | first, archive | joining, no archive | joining, archive |");
        System.out.println("|---|---|---|---|---|");
        for (String k : phases1.get(0).keySet()) {
            System.out.printf("| %s | %s | %s | %s | %s |%n", k,
                    MeshBench.fmt(MeshStats.median(MeshStats.of(phases1.get(0).get(k)))),
                    MeshBench.fmt(MeshStats.median(MeshStats.of(phases1.get(1).get(k)))),
                    MeshBench.fmt(MeshStats.median(MeshStats.of(phases2.get(0).get(k)))),
                    MeshBench.fmt(MeshStats.median(MeshStats.of(phases2.get(1).get(k)))));
        }
        System.out.println();
        System.out.println("RSS below: the routers of the last round (with the class-data archive, as shipped).");
        System.out.println();
        System.out.println("| router state | RSS host1 MiB | RSS host2 MiB | heap used/committed (host1 / host2) |");
        System.out.println("|---|---|---|---|");
        System.out.printf("| idle, 1 network, 0 endpoints | %.0f | %.0f | %s |%n", idle[0], idle[1], heapIdle);
        System.out.printf("| %d remote endpoints (FDB + neighbour programmed) | %.0f | %.0f | %s |%n", endpoints, loaded[0],
                loaded[1], heapLoaded);
        System.out.printf("%nprogramming %d remote endpoints on both routers: %.0f ms after publication; withdrawal after"
                + " the member left: %.0f ms%n", endpoints, programmedMs, withdrawnMs);
        System.out.printf("goals: ready <= 3000 ms, RSS <= 160 MiB%n");
    }

    private static void readyRow(String what, List<Double> ready, List<Double> answers, List<Double> baseAnswers) {
        double[] v = MeshStats.of(ready);
        double answered = MeshStats.median(MeshStats.of(answers));
        System.out.printf("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.2f |%n", what, v.length, MeshStats.median(v),
                MeshStats.min(v), MeshStats.max(v), answered, answered / MeshStats.median(MeshStats.of(baseAnswers)));
    }

    private static void phases(MeshRouter r, Map<String, List<Double>> into) {
        String n = r.host().name();
        Map<String, String> markers = new LinkedHashMap<>();
        markers.put("first log line (Hazelcast logs only WARN: this is already after its start)", "");
        markers.put("mesh joined (`mesh: " + n.replaceAll("\\d", "N") + " joined cluster`)", "mesh: " + n + " joined cluster");
        markers.put("IPAM ready", "IPAM ready");
        markers.put("plugin API listening", "docker plugin API listening");
        markers.put("router ready", "router " + n + " ready");
        for (Map.Entry<String, String> e : markers.entrySet()) {
            into.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(r.logOffsetMs(e.getValue()));
        }
        double hz = r.logNumberAfter("joined as " + n + " in ");
        into.computeIfAbsent("(of which Hazelcast start + join, as logged)", k -> new ArrayList<>()).add(hz);
        into.computeIfAbsent("(so: before Mesh.start — JVM, class loading, netlink, state)", k -> new ArrayList<>())
                .add(r.logOffsetMs("mesh: " + n + " joined cluster") - hz);
    }

    private static String heap(MeshRouter r) {
        Result res = MeshBench.run(Duration.ofSeconds(20), "jcmd", Long.toString(r.javaPid()), "GC.heap_info");
        // first line e.g. " garbage-first heap   total 63488K, used 27834K [...]"
        String l = res.out().lines().filter(x -> x.contains("total") && x.contains("used")).findFirst().orElse("?");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("total (\\d+)K, used (\\d+)K").matcher(l);
        return m.find() ? (Long.parseLong(m.group(2)) / 1024) + "/" + (Long.parseLong(m.group(1)) / 1024) + " MiB" : "?";
    }

    private static Path awaitNetns(MeshRouter r) {
        Path dir = r.dataDir().resolve("netns");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try (Stream<Path> s = Files.exists(dir) ? Files.list(dir) : Stream.empty()) {
                List<Path> l = s.filter(p -> p.getFileName().toString().startsWith("vni-")).toList();
                if (l.size() == 1) {
                    return l.get(0);
                }
            } catch (IOException e) {
                // retry
            }
            MeshBench.sleep(20);
        }
        throw new IllegalStateException("no single network namespace under " + dir);
    }

    private static int[] entries(Path ns, String dev) {
        String fdb = MeshBench.sh("nsenter", "--net=" + ns, "bridge", "fdb", "show", "dev", dev);
        String neigh = MeshBench.sh("nsenter", "--net=" + ns, "ip", "neigh", "show", "dev", dev, "nud", "permanent");
        int f = (int) fdb.lines().filter(l -> l.contains(" dst " + MeshFiller.VTEP_PREFIX)).count();
        int n = (int) neigh.lines().filter(l -> l.startsWith("100.64.24") || l.startsWith("100.64.25")).count();
        return new int[] {f, n};
    }

    private static void awaitEntries(MeshRouter r, Path ns, int n, Duration timeout) {
        String dev = "jwvx-" + ns.getFileName().toString().substring("vni-".length());
        long deadline = System.nanoTime() + timeout.toNanos();
        int[] last = {-1, -1};
        while (System.nanoTime() < deadline) {
            last = entries(ns, dev);
            if (last[0] == n && last[1] == n) {
                return;
            }
            MeshBench.sleep(20);
        }
        throw new IllegalStateException(r.host().name() + ": " + last[0] + " fdb / " + last[1] + " neighbour entries of the"
                + " filler, expected " + n + "; router log:\n" + r.process().logTail(30));
    }

    private static void awaitLog(HostProcess p, String s, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Files.readString(p.log()).contains(s)) {
                    return;
                }
            } catch (IOException e) {
                // not yet
            }
            if (!p.isAlive()) {
                throw new IllegalStateException(p.name() + " exited: " + p.logTail(40));
            }
            MeshBench.sleep(20);
        }
        throw new IllegalStateException(p.name() + ": no \"" + s + "\" within " + timeout.toSeconds() + " s: " + p.logTail(40));
    }
}
