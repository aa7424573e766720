package io.jweave.it.bench;

import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The multi-host benchmarks of docs/benchmarks.md ("Multi-host"), each on its own test bed of
 * simulated hosts (netns + own dockerd + own router), torn down at the end, on failure too.
 * Traffic stays inside the simulated hosts: underlay 198.51.100.0/24, overlay 100.64.0.0/10.
 *
 * <pre>
 * ./jweave bench throughput [SECONDS=10] [ROUNDS=3]   iperf3: jweave vs hand-built VXLAN vs underlay
 * ./jweave bench convergence [SAMPLES=20] [NETS=10]   container on A → ping from B; network on A → usable on B
 * ./jweave bench router [ROUNDS=3] [ENDPOINTS=1000]   start to ready; RSS idle and with N remote endpoints
 * ./jweave bench encryption [SECONDS=10] [ROUNDS=3] [wireguard|no-wireguard]   password vs none (4 hosts)
 * </pre>
 */
public final class MeshBench {
    private MeshBench() {
    }

    public static void throughput(String[] args) throws Exception {
        MeshThroughputBench.run(intArg(args, 0, 10), intArg(args, 1, 3));
    }

    public static void convergence(String[] args) throws Exception {
        MeshConvergenceBench.run(intArg(args, 0, 20), intArg(args, 1, 10));
    }

    public static void router(String[] args) throws Exception {
        MeshRouterBench.run(intArg(args, 0, 3), intArg(args, 1, 1000));
    }

    public static void encryption(String[] args) throws Exception {
        String wg = args.length > 2 ? args[2] : "wireguard";
        if (!wg.equals("wireguard") && !wg.equals("no-wireguard")) {
            throw new IllegalArgumentException("third argument: wireguard or no-wireguard, not " + wg);
        }
        EncryptionBench.run(intArg(args, 0, 10), intArg(args, 1, 3), wg.equals("wireguard"));
    }

    public static void image(String[] args) throws Exception {
        ImageBench.run(intArg(args, 0, 3), intArg(args, 1, 1000));
    }

    /** All three, in sequence. */
    public static void all() throws Exception {
        throughput(new String[0]);
        System.out.println();
        convergence(new String[0]);
        System.out.println();
        router(new String[0]);
    }

    // ------------------------------------------------------------------ shared helpers

    static int intArg(String[] args, int i, int dflt) {
        return args.length > i ? Integer.parseInt(args[i]) : dflt;
    }

    static void header(String what) {
        System.out.printf("%s — %s, %s, %d vCPU%n", what, LocalDate.now(), System.getProperty("os.name") + " "
                + System.getProperty("os.version"), Runtime.getRuntime().availableProcessors());
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Runs a command from the root namespace (e.g. {@code nsenter -t PID -n ...}); throws on failure. */
    static String sh(String... cmd) {
        Result r = run(Duration.ofSeconds(60), cmd);
        if (!r.ok()) {
            throw new IllegalStateException(r.describe());
        }
        return r.out();
    }

    /** {@code a} followed by {@code b}: a command prefix (e.g. nsenter into a namespace) and its command. */
    static List<String> concat(List<String> a, String... b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(List.of(b));
        return l;
    }

    /** Pings {@code target} from inside {@code enter} (a command prefix) until it answers; fails after 30 s. */
    static void awaitPing(List<String> enter, String target, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Result last = null;
        while (System.nanoTime() < deadline) {
            last = run(Duration.ofSeconds(5), concat(enter, "ping", "-c", "1", "-W", "1", target).toArray(String[]::new));
            if (last.ok()) {
                return;
            }
            sleep(200);
        }
        throw new IllegalStateException(what + ": no ping reply from " + target + ": "
                + (last == null ? "" : last.describe()));
    }

    static Result run(Duration timeout, String... cmd) {
        long t = System.nanoTime();
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            byte[][] out = new byte[2][];
            Thread te = new Thread(() -> {
                try {
                    out[1] = p.getErrorStream().readAllBytes();
                } catch (IOException e) {
                    out[1] = new byte[0];
                }
            });
            te.start();
            out[0] = p.getInputStream().readAllBytes();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            te.join(2000);
            return new Result(List.of(cmd), done ? p.exitValue() : -1, new String(out[0], StandardCharsets.UTF_8).strip(),
                    out[1] == null ? "" : new String(out[1], StandardCharsets.UTF_8).strip(),
                    Duration.ofNanos(System.nanoTime() - t), !done);
        } catch (IOException e) {
            return new Result(List.of(cmd), 127, "", e.toString(), Duration.ofNanos(System.nanoTime() - t), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Host pid of a container's init process. */
    static long containerPid(SimHost h, String container) {
        return Long.parseLong(h.dockerOk("inspect", "-f", "{{.State.Pid}}", container).out().strip());
    }

    /** Waits until network {@code name} is known to {@code h}'s dockerd (API poll, 5 ms spacing). */
    static long awaitNetwork(SimHost h, String name, Duration timeout) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (MeshDockerApi.status(h.dockerSocket(), "/networks/" + name) == 200) {
                return System.nanoTime();
            }
            sleep(5);
        }
        throw new IllegalStateException("network " + name + " did not appear on " + h.name() + " within "
                + timeout.toSeconds() + " s");
    }

    static List<String> javaOpens() {
        return new ArrayList<>(List.of("--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED"));
    }

    static String fmt(double v) {
        return Double.isNaN(v) ? "–" : String.format("%.0f", v);
    }

    static String fmt1(double v) {
        return Double.isNaN(v) ? "–" : String.format("%.1f", v);
    }
}
