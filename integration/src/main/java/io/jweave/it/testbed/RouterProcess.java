package io.jweave.it.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A jweave router on a simulated host, started as users start it: {@code jweave launch
 * --foreground} in the host's network namespace (but the machine's mount namespace, so the
 * router's per-network namespaces outlive it, as on a real host).
 */
public final class RouterProcess {
    /** The repository root: {@code JWEAVE_HOME} (set by ./jweave) or the parent of the module directory. */
    public static final Path REPO = repo();
    /** Overlay range automatic subnets come from in tests and demos. */
    public static final String OVERLAY_RANGE = "100.64.0.0/16";

    private final SimHost host;
    private final List<String> extraArgs;
    private HostProcess process;

    private RouterProcess(SimHost host, List<String> extraArgs) {
        this.host = host;
        this.extraArgs = List.copyOf(extraArgs);
    }

    private static Path repo() {
        String home = System.getenv("JWEAVE_HOME");
        if (home != null && !home.isEmpty()) {
            return Path.of(home).toAbsolutePath();
        }
        Path cwd = Path.of("").toAbsolutePath();
        return Files.exists(cwd.resolve("jweave")) ? cwd : cwd.getParent();
    }

    /** Starts a router on {@code host} (extra arguments: options and PEERs) and waits until it answers. */
    public static RouterProcess launch(SimHost host, String... extraArgs) {
        RouterProcess r = new RouterProcess(host, List.of(extraArgs));
        r.start();
        return r;
    }

    public SimHost host() {
        return host;
    }

    public Path dataDir() {
        return host.runDir().resolve("jweave");
    }

    public List<String> command() {
        List<String> cmd = new ArrayList<>(List.of(REPO.resolve("jweave").toString(), "launch", "--foreground",
                "--name", host.name(), "--advertise-addr", host.underlayIp(),
                "--docker-host", "unix://" + host.dockerSocket(),
                "--plugin-socket", host.pluginSocket().toString(),
                "--data-dir", dataDir().toString(),
                "--ipalloc-range", OVERLAY_RANGE));
        cmd.addAll(extraArgs);
        return cmd;
    }

    /** Starts (or restarts, with the same data directory) the router and waits for its plugin socket. */
    public void start() {
        process = host.spawnInNetns("router", command());
        host.awaitPluginSocket(Duration.ofSeconds(60));
    }

    /** SIGKILL, like a crash. */
    public void crash() {
        process.kill();
    }

    /** SIGTERM, and wait for it to end. */
    public void stop() {
        process.stop(Duration.ofSeconds(20));
    }

    public HostProcess process() {
        return process;
    }

    /** {@code jweave ARGS --data-dir DIR} against this router (e.g. status), run inside the host. */
    public Result cli(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(REPO.resolve("jweave").toString());
        cmd.addAll(List.of(args));
        cmd.add("--data-dir=" + dataDir());
        return host.exec(cmd.toArray(String[]::new));
    }
}
