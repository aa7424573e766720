package io.jweave.it;

import io.jweave.it.testbed.HostProcess;
import io.jweave.it.testbed.SimHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A jweave router running on a simulated host, started the way users start it:
 * {@code ./jweave launch --foreground} inside the host's network namespace.
 */
public final class RouterHandle {
    /** The repository root (tests run with the module directory as working directory). */
    public static final Path REPO = Path.of("").toAbsolutePath().getParent();
    public static final String OVERLAY_RANGE = "100.64.0.0/16";

    private final SimHost host;
    private final List<String> extraArgs;
    private HostProcess process;

    private RouterHandle(SimHost host, List<String> extraArgs) {
        this.host = host;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /** Starts a router on {@code host} and waits until its plugin socket answers. */
    public static RouterHandle launch(SimHost host, String... extraArgs) {
        RouterHandle r = new RouterHandle(host, List.of(extraArgs));
        r.start();
        return r;
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

    public void start() {
        process = host.spawnInNetns("router", command());
        host.awaitPluginSocket(Duration.ofSeconds(60));
    }

    /** SIGKILL, like a crash. */
    public void crash() {
        process.kill();
    }

    /** SIGTERM and wait. */
    public void stop() {
        process.stop(Duration.ofSeconds(20));
    }

    public HostProcess process() {
        return process;
    }

    public String logTail() {
        return process == null ? "" : process.logTail(60);
    }
}
