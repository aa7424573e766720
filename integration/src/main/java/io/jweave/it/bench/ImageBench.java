package io.jweave.it.bench;

import io.jweave.it.testbed.HostProcess;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.Testbed;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./jweave bench image}: the router image and the router as a container, on two simulated
 * hosts with real dockerd (mounts shared, as on a systemd host).
 *
 * <ul>
 * <li>Image: size of {@code jweave/router:<version>} as dockerd reports it, and of the archive.</li>
 * <li>Start to ready, alternating in the same run on host1 (a mesh of one, fresh data directory
 *     each round): the foreground process ({@code ./jweave launch --foreground}, spawn → plugin
 *     answers), without its class-data archive ({@code JWEAVE_CDS=0}, the baseline) and with it,
 *     against the container ({@code jweave launch}: container start → plugin answers, as the CLI
 *     reports it, and the whole CLI call; the offline image carries its own archive, and whether
 *     the container's JVM mapped it is read from its {@code /proc/PID/maps}).</li>
 * <li>RSS of the containerised routers (host1 and host2 meshed, one network) idle, then with N
 *     remote endpoints published by a throwaway mesh member ({@link MeshFiller}), as
 *     {@code bench router} measures the process.</li>
 * </ul>
 */
final class ImageBench {
    private static final Pattern READY = Pattern.compile("ready in ([0-9.]+) s");
    private static final Pattern SIZE = Pattern.compile("^(\\S+) ([0-9.]+) MB", Pattern.MULTILINE);
    private static final long SETTLE_MS = 15_000;
    private static final Duration CLI = Duration.ofMinutes(5);

    private ImageBench() {
    }

    static void run(int rounds, int endpoints) throws Exception {
        MeshBench.header("Router image and container (" + rounds + " rounds; " + endpoints + " remote endpoints)");
        String jweave = MeshRouter.repo().resolve("jweave").toString();
        try (Testbed tb = Testbed.builder().hosts(2).image(false).sharedMounts(true).start()) {
            SimHost a = tb.host(1);
            SimHost b = tb.host(2);
            Result build = ok(a.execOnHost(CLI, jweave, "image", "--no-load"));
            Result load = ok(a.execOnHost(CLI, jweave, "image", "--docker-host", a.dockerHost()));
            Matcher sm = SIZE.matcher(load.out());
            String image = sm.find() ? sm.group(1) : "?";
            double imageMb = sm.find(0) ? Double.parseDouble(sm.group(2)) : Double.NaN;
            Matcher am = Pattern.compile(" ([0-9.]+) MB \\(archive\\)").matcher(build.out());
            double archiveMb = am.find() ? Double.parseDouble(am.group(1)) : Double.NaN;
            System.out.printf("image %s: %.1f MB in dockerd, archive %.1f MB (build/cache check %d ms, load %d ms)%n",
                    image, imageMb, archiveMb, build.elapsed().toMillis(), load.elapsed().toMillis());

            List<String> train = new ArrayList<>(MeshRouter.routerJvm());
            train.add("cds-archive");
            Result made = ok(MeshBench.run(CLI, train.toArray(String[]::new)));
            System.out.printf("process mode's class-data archive made in %d ms%n", made.elapsed().toMillis());
            List<Double> procBase = new ArrayList<>();
            List<Double> procAnswers = new ArrayList<>();
            List<Double> procReady = new ArrayList<>();
            boolean mapped = true;
            List<Double> contReady = new ArrayList<>();
            List<Double> contCli = new ArrayList<>();
            for (int i = 1; i <= rounds; i++) {
                MeshRouter base = MeshRouter.launch(a, "proc-nocds-r" + i, false);
                procBase.add(base.answersMs());
                base.stop();
                MeshRouter p = MeshRouter.launch(a, "proc-r" + i);
                procAnswers.add(p.answersMs());
                procReady.add(p.readyMs());
                p.stop();
                Result l = ok(launch(a, jweave, "cont-r" + i));
                Matcher m = READY.matcher(l.out());
                contReady.add(m.find() ? Double.parseDouble(m.group(1)) * 1000 : Double.NaN);
                contCli.add(l.elapsed().toNanos() / 1e6);
                boolean inMaps = mapsArchive(MeshBench.containerPid(a, "jweave-router"));
                mapped &= inMaps;
                ok(stop(a, jweave, "cont-r" + i));
                System.out.printf("round %d: process answers after %.0f ms without the class-data archive, %.0f ms with it;"
                        + " container answers %.0f ms after its start (jweave launch took %.0f ms; archive mapped: %s)%n", i,
                        procBase.get(i - 1), procAnswers.get(i - 1), contReady.get(i - 1), contCli.get(i - 1), inMaps);
            }

            ok(launch(a, jweave, "cont-rss"));
            ok(launch(b, jweave, "cont-rss", a.underlayIp()));
            a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", MeshFiller.SUBNET, MeshFiller.NETWORK);
            MeshBench.awaitNetwork(b, MeshFiller.NETWORK, Duration.ofSeconds(60));
            String ns1 = awaitNetns(a, "cont-rss");
            String ns2 = awaitNetns(b, "cont-rss");
            MeshBench.sleep(SETTLE_MS);
            double[] idle = {rss(a), rss(b)};
            System.out.printf("idle (1 network, 0 endpoints): RSS %.0f MiB (host1), %.0f MiB (host2)%n", idle[0], idle[1]);

            HostProcess filler = MeshFiller.spawn(b, a, endpoints);
            awaitEntries(a, ns1, endpoints, Duration.ofSeconds(180), filler);
            awaitEntries(b, ns2, endpoints, Duration.ofSeconds(180), filler);
            MeshBench.sleep(SETTLE_MS);
            double[] loaded = {rss(a), rss(b)};
            System.out.printf("with %d endpoints: RSS %.0f MiB (host1), %.0f MiB (host2)%n", endpoints, loaded[0], loaded[1]);
            filler.stop(Duration.ofSeconds(30));
            stop(a, jweave, "cont-rss");
            stop(b, jweave, "cont-rss");

            double pa = MeshStats.median(MeshStats.of(procBase));
            double cr = MeshStats.median(MeshStats.of(contReady));
            double cc = MeshStats.median(MeshStats.of(contCli));
            System.out.println();
            System.out.printf("| image | size in dockerd | archive (docker load) |%n|---|---|---|%n| %s | %.1f MB | %.1f MB |%n",
                    image, imageMb, archiveMb);
            System.out.println();
            System.out.println("| router start to ready (mesh of one) | rounds | p50 ms | min | max | ratio to process without archive |");
            System.out.println("|---|---|---|---|---|---|");
            row("process without class-data archive (`JWEAVE_CDS=0`): spawned → plugin answers", procBase, pa);
            row("process with class-data archive: spawned → plugin answers", procAnswers, pa);
            row("container: container start → plugin answers", contReady, pa);
            row("container: whole `jweave launch` call (CLI JVM, image check, create, start, wait)", contCli, pa);
            System.out.printf("%nthe container's JVM mapped %s in every round: %s%n", "/opt/jweave/router.jsa", mapped);
            System.out.println();
            System.out.println("| containerised router | RSS host1 MiB | RSS host2 MiB |");
            System.out.println("|---|---|---|");
            System.out.printf("| idle, 1 network, 0 endpoints | %.0f | %.0f |%n", idle[0], idle[1]);
            System.out.printf("| %d remote endpoints (FDB + neighbour programmed) | %.0f | %.0f |%n", endpoints, loaded[0], loaded[1]);
            double max = Math.max(loaded[0], loaded[1]);
            System.out.printf("%ngoals: ready <= 3000 ms (container: %.0f ms, %s); RSS <= 160 MB (max %.0f MiB = %.0f MB, %s)%n",
                    cr, cr <= 3000 ? "met" : "NOT met", max, max * 1.048576, max * 1.048576 <= 160 ? "met" : "NOT met");
        }
    }

    private static void row(String what, List<Double> v, double base) {
        double[] a = MeshStats.of(v);
        System.out.printf("| %s | %d | %.0f | %.0f | %.0f | %.2f |%n", what, a.length, MeshStats.median(a), MeshStats.min(a),
                MeshStats.max(a), MeshStats.median(a) / base);
    }

    /** Whether the process maps the image's class-data archive (it is mapped while the JVM runs). */
    private static boolean mapsArchive(long pid) {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/" + pid + "/maps")).contains("/opt/jweave/router.jsa");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static Result ok(Result r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.describe());
        }
        return r;
    }

    private static Path dataDir(SimHost h, String tag) {
        return h.runDir().resolve(tag);
    }

    private static Result launch(SimHost h, String jweave, String tag, String... peers) {
        List<String> cmd = new ArrayList<>(List.of(jweave, "launch", "--name", h.name(), "--advertise-addr", h.underlayIp(),
                "--docker-host", h.dockerHost(), "--plugin-socket", h.pluginSocket().toString(),
                "--data-dir", dataDir(h, tag).toString(), "--ipalloc-range", RouterProcess.OVERLAY_RANGE,
                "--docker-netns-dir", h.runDir().resolve("docker/netns").toString()));
        cmd.addAll(List.of(peers));
        return h.execOnHost(CLI, cmd.toArray(String[]::new));
    }

    private static Result stop(SimHost h, String jweave, String tag) {
        return h.execOnHost(CLI, jweave, "stop", "--docker-host", h.dockerHost(), "--data-dir", dataDir(h, tag).toString());
    }

    /** VmRSS of the router container's JVM (its init process, in the machine's pid namespace). */
    private static double rss(SimHost h) {
        return MeshRouter.statusKiB(MeshBench.containerPid(h, "jweave-router"), "VmRSS") / 1024.0;
    }

    /** The one per-network namespace of the router (a mount in the host's mount namespace). */
    private static String awaitNetns(SimHost h, String tag) {
        Path dir = dataDir(h, tag).resolve("netns");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Result r = h.execOnHost(Duration.ofSeconds(20), "sh", "-c", "ls " + dir + " 2>/dev/null | grep '^vni-'");
            if (r.ok() && r.out().lines().count() == 1) {
                return dir.resolve(r.out().strip()).toString();
            }
            MeshBench.sleep(100);
        }
        throw new IllegalStateException(h.name() + ": no single network namespace under " + dir);
    }

    private static void awaitEntries(SimHost h, String ns, int n, Duration timeout, HostProcess filler) {
        String dev = "jwvx-" + ns.substring(ns.lastIndexOf("vni-") + 4);
        long deadline = System.nanoTime() + timeout.toNanos();
        long f = -1;
        long g = -1;
        while (System.nanoTime() < deadline) {
            Result fdb = h.execOnHost(Duration.ofSeconds(30), "nsenter", "--net=" + ns, "bridge", "fdb", "show", "dev", dev);
            Result neigh = h.execOnHost(Duration.ofSeconds(30), "nsenter", "--net=" + ns, "ip", "neigh", "show", "dev", dev,
                    "nud", "permanent");
            f = fdb.out().lines().filter(l -> l.contains(" dst " + MeshFiller.VTEP_PREFIX)).count();
            g = neigh.out().lines().filter(l -> l.startsWith("100.64.24") || l.startsWith("100.64.25")).count();
            if (f == n && g == n) {
                return;
            }
            MeshBench.sleep(200);
        }
        throw new IllegalStateException(h.name() + ": " + f + " fdb / " + g + " neighbour entries, expected " + n
                + "; filler log:\n" + filler.logTail(10));
    }
}
