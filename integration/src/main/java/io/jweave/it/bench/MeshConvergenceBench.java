package io.jweave.it.bench;

import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Convergence between two simulated hosts A (host1) and B (host2), each with its router.
 *
 * <p>(a) Container on A → first ping answered from a container on B. A probe container on B has a
 * ping (iputils, run in the probe's network namespace with {@code nsenter}) already sending to the
 * address the next container will get ({@code --ip}), every 10 ms, with {@code -D} timestamps.
 * The probe's ARP retransmit time is lowered to 10 ms so that an ARP request sent before the
 * datapath was programmed is retried at the ping's resolution rather than after the kernel's
 * default 1 s. Measured: first reply's timestamp − the moment {@code docker run -d} on A returned
 * (negative: B reached the container before the CLI had returned), the same from the moment
 * {@code docker run} was started, and, from the two routers' logs, the time from the endpoint's
 * creation on A to its FDB/neighbour entries on B.
 * Each sample uses a fresh address (the probe's neighbour cache is flushed before each). The ping
 * has no {@code -w}: iputils ping exits at the first error when given a deadline, and errors
 * (ARP failures, "Destination Host Unreachable") are expected until the datapath is programmed.
 *
 * <p>(b) {@code docker network create} on A → network usable on B: B's Engine API is polled
 * (GET /networks/NAME, 5 ms spacing) until it knows the network, then a container is started on
 * it on B.
 */
final class MeshConvergenceBench {
    private static final String NET = "conv";
    private static final int WARMUP = 2;
    private static final Pattern STAMP = Pattern.compile("^\\[(\\d+\\.\\d+)\\].*bytes from");

    private MeshConvergenceBench() {
    }

    static void run(int samples, int nets) throws Exception {
        MeshBench.header("Convergence between two hosts (" + samples + " container samples, " + nets
                + " network samples, " + WARMUP + " warm-up samples each not counted)");
        List<Double> conv = new ArrayList<>();
        List<Double> runMs = new ArrayList<>();
        List<Double> convFromStart = new ArrayList<>();
        List<Double> propagation = new ArrayList<>();
        List<Double> createMs = new ArrayList<>();
        List<Double> visibleFromStart = new ArrayList<>();
        List<Double> visibleFromReturn = new ArrayList<>();
        List<Double> usable = new ArrayList<>();
        List<Double> runOnB = new ArrayList<>();
        List<Double> removed = new ArrayList<>();
        int failures = 0;
        try (Testbed tb = Testbed.builder().hosts(2).start()) {
            SimHost a = tb.host(1);
            SimHost b = tb.host(2);
            MeshRouter ra = MeshRouter.launch(a, "jweave");
            MeshRouter rb = MeshRouter.launch(b, "jweave", a.underlayIp());

            // ---------------------------------------------------------- (a) containers
            // a user-configured subnet: Docker accepts --ip only on those
            a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", "100.64.200.0/24", NET);
            MeshBench.awaitNetwork(b, NET, Duration.ofSeconds(30));
            String subnet = a.dockerOk("network", "inspect", NET, "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
            String prefix = subnet.substring(0, subnet.lastIndexOf('.') + 1);
            if (!subnet.endsWith(".0/24")) {
                throw new IllegalStateException("expected a /24 subnet, got " + subnet);
            }
            b.run("-d", "--name", "probe", "--network", NET, TestImage.NAME, "sleep", "1000000");
            String probePid = Long.toString(MeshBench.containerPid(b, "probe"));
            MeshBench.sh("nsenter", "-t", probePid, "-n", "sh", "-c",
                    "for f in /proc/sys/net/ipv4/neigh/*/retrans_time_ms; do echo 10 > $f; done");
            System.out.printf("network %s (%s); probe on %s at %s%n", NET, subnet, b.name(), b.containerIp("probe", NET));
            for (int i = 0; i < samples + WARMUP; i++) {
                String ip = prefix + (200 + i);
                String name = "t" + i;
                MeshBench.sh("nsenter", "-t", probePid, "-n", "ip", "neigh", "flush", "all");
                long logA = Files.size(ra.process().log());
                long logB = Files.size(rb.process().log());
                Process ping = new ProcessBuilder("nsenter", "-t", probePid, "-n", "ping", "-D", "-n", "-i", "0.01", ip).redirectErrorStream(true).start();
                CompletableFuture<Double> firstReply = new CompletableFuture<>();
                List<String> pingOut = java.util.Collections.synchronizedList(new ArrayList<>());
                Thread reader = new Thread(() -> firstReply.complete(firstReply(ping, pingOut)), "ping-reader");
                reader.setDaemon(true);
                reader.start();
                MeshBench.sleep(50);
                long t0 = System.nanoTime();
                Result r = a.docker("run", "--init", "--pull", "never", "-d", "--name", name, "--network", NET,
                        "--ip", ip, TestImage.NAME, "sleep", "1000000");
                long returnedNanos = System.nanoTime();
                double returnedEpoch = System.currentTimeMillis() / 1000.0;
                double runTook = (returnedNanos - t0) / 1e6;
                r.orThrow();
                Double reply;
                try {
                    reply = firstReply.get(15, TimeUnit.SECONDS);
                } catch (Exception e) {
                    reply = null;
                } finally {
                    ping.destroy();
                    ping.waitFor(2, TimeUnit.SECONDS);
                }
                if (reply == null) {
                    failures++;
                    if (failures == 1) {
                        debug(a, b, probePid, name);
                    }
                    System.out.printf("sample %d (%s): no reply within 15 s; ping said: %s; a second ping: %s%n", i, ip,
                            pingOut.size() + " lines, last " + pingOut.subList(Math.max(0, pingOut.size() - 4), pingOut.size()),
                            b.docker(Duration.ofSeconds(10), "exec", "probe", "ping", "-c", "1", "-W", "2", ip).out());
                } else {
                    double ms = (reply - returnedEpoch) * 1000;
                    double fromStart = (reply - (returnedEpoch - runTook / 1000)) * 1000;
                    double prop = propagation(ra.process().log(), logA, rb.process().log(), logB);
                    System.out.printf("sample %d (%s): docker run %.0f ms, first reply %.1f ms after it returned (%.0f ms after"
                            + " it started); router logs: endpoint on A → programmed on B %.0f ms%s%n", i, ip,
                            runTook, ms, fromStart, prop, i < WARMUP ? " (warm-up)" : "");
                    if (i >= WARMUP) {
                        conv.add(ms);
                        convFromStart.add(fromStart);
                        propagation.add(prop);
                        runMs.add(runTook);
                    }
                }
                a.dockerOk("rm", "-f", name);
                MeshBench.sleep(300);
            }

            // ---------------------------------------------------------- (b) networks
            for (int i = 0; i < nets + WARMUP; i++) {
                String name = "cv" + i;
                long t0 = System.nanoTime();
                a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", name);
                long created = System.nanoTime();
                long visible = MeshBench.awaitNetwork(b, name, Duration.ofSeconds(30));
                long r0 = System.nanoTime();
                b.run("-d", "--name", "n" + i, "--network", name, TestImage.NAME, "sleep", "1000000");
                long started = System.nanoTime();
                // clean up: the container on B, then the network on A (it disappears everywhere)
                b.dockerOk("rm", "-f", "n" + i);
                long rm0 = System.nanoTime();
                a.dockerOk("network", "rm", name);
                long gone = awaitGone(b, name, Duration.ofSeconds(30));
                System.out.printf("network %d: create %.0f ms; visible on B %.0f ms after create started (%.0f after it"
                                + " returned); container on B started %.0f ms later; removal reached B in %.0f ms%s%n",
                        i, (created - t0) / 1e6, (visible - t0) / 1e6, (visible - created) / 1e6, (started - r0) / 1e6,
                        (gone - rm0) / 1e6, i < WARMUP ? " (warm-up)" : "");
                if (i >= WARMUP) {
                    createMs.add((created - t0) / 1e6);
                    visibleFromStart.add((visible - t0) / 1e6);
                    visibleFromReturn.add((visible - created) / 1e6);
                    usable.add((started - t0) / 1e6);
                    runOnB.add((started - r0) / 1e6);
                    removed.add((gone - rm0) / 1e6);
                }
            }
        }
        System.out.println();
        System.out.println("| measure | samples | p50 ms | p99 ms | min ms | max ms |");
        System.out.println("|---|---|---|---|---|---|");
        row("(a) `docker run -d` on A returned → first ping reply on B", conv);
        row("(a) `docker run -d` on A started → first ping reply on B", convFromStart);
        row("(a) router logs: endpoint created on A → its FDB/neighbour programmed on B", propagation);
        row("(a) context: `docker run -d` on A itself", runMs);
        row("(b) `network create` on A started → `network inspect` OK on B", visibleFromStart);
        row("(b) `network create` on A returned → `network inspect` OK on B", visibleFromReturn);
        row("(b) `network create` on A started → container running on B", usable);
        row("(b) context: `network create` on A itself", createMs);
        row("(b) context: `docker run -d` on B (network just joined)", runOnB);
        row("(b) `network rm` on A returned → gone on B", removed);
        if (failures > 0) {
            System.out.printf("%n%d container sample(s) got no reply within 15 s (not in the table)%n", failures);
        }
    }

    private static void row(String what, List<Double> l) {
        double[] v = MeshStats.of(l);
        System.out.printf("| %s | %d | %s | %s | %s | %s |%n", what, v.length, MeshBench.fmt1(MeshStats.median(v)),
                MeshBench.fmt1(MeshStats.percentile(v, 99)), MeshBench.fmt1(MeshStats.min(v)), MeshBench.fmt1(MeshStats.max(v)));
    }

    /** Epoch seconds of the first echo reply ping printed, or null if it ended without one. */
    private static Double firstReply(Process ping, List<String> out) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(ping.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                out.add(l);
                Matcher m = STAMP.matcher(l);
                if (m.find()) {
                    return Double.parseDouble(m.group(1));
                }
            }
        } catch (java.io.IOException e) {
            return null;
        }
        return null;
    }

    private static final Pattern TS = Pattern.compile("^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) ");

    /**
     * From A's log line "endpoint ... veth" (the container's endpoint created, in the part of A's
     * log written during this sample) to B's first "remote endpoints programmed: +1" after it, in
     * ms (both routers log wall-clock time of the same machine), or NaN.
     */
    private static double propagation(java.nio.file.Path logA, long fromA, java.nio.file.Path logB, long fromB) {
        double ta = Double.NaN;
        for (String l : tail(logA, fromA)) {
            if (l.contains(": endpoint ") && l.contains(" veth ")) {
                ta = millisOfDay(l);
                break;
            }
        }
        if (Double.isNaN(ta)) {
            return Double.NaN;
        }
        for (String l : tail(logB, fromB)) {
            if (l.contains("remote endpoints programmed: +1") && millisOfDay(l) >= ta) {
                return millisOfDay(l) - ta;
            }
        }
        return Double.NaN;
    }

    private static List<String> tail(java.nio.file.Path log, long from) {
        try {
            byte[] all = Files.readAllBytes(log);
            return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
                    StandardCharsets.UTF_8).lines().toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    private static double millisOfDay(String line) {
        Matcher m = TS.matcher(line);
        if (!m.find()) {
            return Double.NaN;
        }
        return ((Integer.parseInt(m.group(1)) * 60 + Integer.parseInt(m.group(2))) * 60 + Integer.parseInt(m.group(3))) * 1000.0
                + Integer.parseInt(m.group(4));
    }

    /** What the two ends look like when a sample failed (printed once). */
    private static void debug(SimHost a, SimHost b, String probePid, String container) {
        String cpid = Long.toString(MeshBench.containerPid(a, container));
        System.out.println("--- probe (B): " + MeshBench.run(Duration.ofSeconds(10), "nsenter", "-t", probePid, "-n", "sh", "-c",
                "ip -br addr; ip -br link; ip neigh; ip route").out());
        System.out.println("--- container (A): " + MeshBench.run(Duration.ofSeconds(10), "nsenter", "-t", cpid, "-n", "sh", "-c",
                "ip -br addr; ip -br link; ip neigh; ip route").out());
        for (SimHost h : List.of(a, b)) {
            System.out.println("--- " + h.name() + " vxlan: " + MeshBench.run(Duration.ofSeconds(10), "sh", "-c",
                    "for f in " + h.runDir() + "/jweave/netns/vni-*; do nsenter --net=$f sh -c 'ip -d -br link; bridge fdb show;"
                            + " ip neigh show nud permanent'; done").out());
        }
    }

    private static long awaitGone(SimHost h, String name, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (MeshDockerApi.status(h.dockerSocket(), "/networks/" + name) == 404) {
                return System.nanoTime();
            }
            MeshBench.sleep(5);
        }
        throw new IllegalStateException("network " + name + " still on " + h.name() + " after " + timeout.toSeconds() + " s");
    }
}
