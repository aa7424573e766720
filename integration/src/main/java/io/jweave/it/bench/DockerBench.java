package io.jweave.it.bench;

import io.jweave.it.testbed.HostProcess;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import io.jweave.it.testbed.TestbedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code docker run -d} on a jweave network versus Docker's own {@code bridge} driver, on the same
 * daemon of one simulated host, in an order rotated every round.
 *
 * <p>Timed: the {@code docker run -d} command (CLI process included, the same for every variant),
 * which returns once the container is started with its network attached. Checked, not timed: the
 * container is Running ({@code docker inspect}). A third variant, a jweave network created with
 * {@code --internal}, shows what the {@code docker_gwbridge} interface (which Docker adds to every
 * container of a jweave network, as jweave returns no gateway) costs. The first container of each
 * network (plugin activation, creation of {@code docker_gwbridge}) is timed apart as "cold". A
 * fourth variant, {@code --network none}, is the floor: what starting a container costs without
 * any network. Containers are then removed one at a time in the same rotating order, timed
 * ({@code docker rm -f}).
 *
 * <pre>./jweave bench docker [N=30]</pre>
 */
public final class DockerBench {
    /** Automatic subnets of the router; the bridge network's 100.64.250.0/24 lies outside. */
    static final String BRIDGE_SUBNET = "100.64.250.0/24";

    private record Variant(String label, String network, String[] createArgs) {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Variant[] variants = {
            new Variant("jweave", "jwbench", new String[] {"-d", "jweave", "--ipam-driver", "jweave"}),
            new Variant("bridge", "brbench", new String[] {"-d", "bridge", "--subnet", BRIDGE_SUBNET}),
            new Variant("jweave --internal", "jwbench-int", new String[] {"-d", "jweave", "--ipam-driver", "jweave", "--internal"}),
            new Variant("none (no network: the floor)", "none", null),
        };
        System.out.printf("docker benchmark: docker run -d on one simulated host, %d containers per network, "
                + "rotating order (%s)%n", n, LocalDate.now());
        double[][] times = new double[variants.length][n];
        double[] cold = new double[variants.length];
        double[][] rmTimes = new double[variants.length][n];
        String runId = Testbed.newRunId();
        try (Testbed tb = Testbed.builder().hosts(1).runId(runId).start()) {
            SimHost h = tb.host(1);
            launchRouter(h, routerDataDir(h));
            for (Variant v : variants) {
                if (v.createArgs() == null) {
                    continue;
                }
                List<String> c = new ArrayList<>(List.of("network", "create"));
                c.addAll(Arrays.asList(v.createArgs()));
                c.add(v.network());
                h.dockerOk(c.toArray(String[]::new));
            }
            for (int k = 0; k < variants.length; k++) {
                cold[k] = runOne(h, variants[k], "cold-" + k);
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < variants.length; j++) {
                    int k = (i + j) % variants.length;
                    times[k][i] = runOne(h, variants[k], "c" + k + "-" + i);
                }
                if ((i + 1) % 10 == 0) {
                    System.out.printf("  %d/%d rounds%n", i + 1, n);
                }
            }
            // Remove what we created, one container at a time in the same rotating order (timed too).
            // One `docker rm -f` of all 90 at once left Docker 20.10 counting an endpoint on the
            // jweave network that no container had any more ("has active endpoints").
            for (int j = 0; j < variants.length; j++) {
                removeTimed(h, "cold-" + j);
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < variants.length; j++) {
                    int k = (i + j) % variants.length;
                    rmTimes[k][i] = removeTimed(h, "c" + k + "-" + i);
                }
            }
            for (Variant v : variants) {
                if (v.createArgs() != null) {
                    removeNetwork(h, v.network());
                }
            }
            String links = h.execOk("ip", "-o", "link").out();
            if (links.contains("jwc")) {
                throw new IllegalStateException("endpoint links left on the host after removal:\n" + links);
            }
        }
        System.out.println();
        System.out.println("| network | containers | median ms | p90 ms | min ms | max ms | first (cold) ms |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int k = 0; k < variants.length; k++) {
            double[] t = times[k];
            System.out.printf("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f |%n", variants[k].label(), n,
                    percentile(t, 50), percentile(t, 90), min(t), max(t), cold[k]);
        }
        System.out.println();
        System.out.println("| network | docker rm -f, containers | median ms | p90 ms | max ms |");
        System.out.println("|---|---|---|---|---|");
        for (int k = 0; k < variants.length; k++) {
            double[] t = rmTimes[k];
            System.out.printf("| %s | %d | %.0f | %.0f | %.0f |%n", variants[k].label(), n,
                    percentile(t, 50), percentile(t, 90), max(t));
        }
        System.out.printf("%nratio jweave / bridge: median %.3f, p90 %.3f  (goal <= 1.10)%n",
                percentile(times[0], 50) / percentile(times[1], 50), percentile(times[0], 90) / percentile(times[1], 90));
        System.out.printf("ratio jweave --internal / bridge: median %.3f, p90 %.3f%n",
                percentile(times[2], 50) / percentile(times[1], 50), percentile(times[2], 90) / percentile(times[1], 90));
        System.out.printf("network share of the median (variant - none): jweave %.0f ms, bridge %.0f ms, jweave --internal %.0f ms%n",
                percentile(times[0], 50) - percentile(times[3], 50), percentile(times[1], 50) - percentile(times[3], 50),
                percentile(times[2], 50) - percentile(times[3], 50));
    }

    /** Times one {@code docker run -d}; then checks (untimed) that the container runs. */
    private static double runOne(SimHost h, Variant v, String name) {
        long t = System.nanoTime();
        Result r = h.docker("run", "-d", "--pull", "never", "--name", name, "--network", v.network(),
                TestImage.NAME, "sleep", "3600");
        double ms = (System.nanoTime() - t) / 1e6;
        r.orThrow();
        String state = h.dockerOk("inspect", "-f", "{{.State.Running}}", name).out();
        if (!"true".equals(state)) {
            throw new IllegalStateException("container " + name + " on " + v.network() + " is not running: " + state);
        }
        return ms;
    }

    private static double removeTimed(SimHost h, String name) {
        long t = System.nanoTime();
        h.dockerOk("rm", "-f", name);
        return (System.nanoTime() - t) / 1e6;
    }

    /**
     * {@code docker network rm}, retried for a while: {@code docker rm -f} can return before the
     * daemon has released a killed container's endpoints ("has active endpoints").
     */
    private static void removeNetwork(SimHost h, String network) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Result r = h.docker("network", "rm", network);
            if (r.ok()) {
                return;
            }
            if (System.nanoTime() > deadline || !r.err().contains("active endpoints")) {
                throw new TestbedException(r.describe() + "\n" + h.docker("network", "inspect", network).out()
                        + "\ncontainers: " + h.docker("ps", "-a").out());
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r.orThrow();
            }
        }
    }

    // ---------------------------------------------------------------- shared with PluginLatencyBench

    /** The router's data directory: on disk under the host's data root, as /var/lib/jweave would be. */
    static Path routerDataDir(SimHost h) {
        return h.dataRoot().resolve("jweave");
    }

    /** Starts {@code ./jweave launch --foreground} on the host with that data directory; waits until it answers. */
    static HostProcess launchRouter(SimHost h, Path dataDir) {
        return RouterProcess.launch(h, dataDir).process();
    }

    /** Nearest-rank percentile. */
    static double percentile(double[] a, double p) {
        double[] s = a.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    static double min(double[] a) {
        return Arrays.stream(a).min().orElse(0);
    }

    static double max(double[] a) {
        return Arrays.stream(a).max().orElse(0);
    }
}
