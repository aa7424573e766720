package io.jweave.it;

import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jweave launch} / {@code jweave stop} of the router <em>container</em> on simulated hosts,
 * run as a user runs them on a real host: the CLI in the host's mount, network and UTS namespaces
 * (those of its dockerd, {@link SimHost#execOnHost}), talking to the host's dockerd.
 */
final class RouterContainers {
    static final Duration CLI_TIMEOUT = Duration.ofMinutes(5);

    private RouterContainers() {
    }

    static Path jweave() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (java.nio.file.Files.isExecutable(d.resolve("jweave")) && java.nio.file.Files.isDirectory(d.resolve("vxlan-router"))) {
                return d.resolve("jweave");
            }
        }
        throw new AssertionError("cannot find ./jweave above " + Path.of("").toAbsolutePath());
    }

    /** The router's data directory on {@code h} (as for routers started as processes). */
    static Path dataDir(SimHost h) {
        return h.runDir().resolve("jweave");
    }

    /** Builds the router image archive once (cached by content under target/image/); returns the CLI's line. */
    static String buildImage(SimHost on) {
        Result r = on.execOnHost(CLI_TIMEOUT, jweave().toString(), "image", "--no-load");
        if (!r.ok()) {
            throw new AssertionError("jweave image --no-load failed: " + r.describe());
        }
        // the image is meant to carry the class-data archive; a failed training only shows on stderr
        if (r.err().contains("without a class-data archive")) {
            throw new AssertionError("jweave image built the image without its class-data archive: " + r.describe());
        }
        return r.out();
    }

    /** The options that tie the router to simulated host {@code h}. */
    static List<String> hostOptions(SimHost h) {
        return List.of("--name", h.name(), "--advertise-addr", h.underlayIp(),
                "--docker-host", h.dockerHost(),
                "--plugin-socket", h.pluginSocket().toString(),
                "--data-dir", dataDir(h).toString(),
                "--ipalloc-range", RouterProcess.OVERLAY_RANGE,
                "--docker-netns-dir", h.runDir().resolve("docker/netns").toString());
    }

    /** {@code jweave launch OPTIONS PEER...} (container mode) on {@code h}. */
    static Result launch(SimHost h, String... peers) {
        return launchAdvertising(h, h.underlayIp(), peers);
    }

    /** As {@link #launch}, with {@code --advertise-addr ADDRESS}. */
    static Result launchAdvertising(SimHost h, String address, String... peers) {
        List<String> cmd = new ArrayList<>(List.of(jweave().toString(), "launch"));
        List<String> opts = new ArrayList<>(hostOptions(h));
        opts.set(opts.indexOf("--advertise-addr") + 1, address);
        cmd.addAll(opts);
        cmd.addAll(List.of(peers));
        return h.execOnHost(CLI_TIMEOUT, cmd.toArray(String[]::new));
    }

    /** As {@link #launch}, with extra options and environment (e.g. JWEAVE_PASSWORD). */
    static Result launchWith(SimHost h, java.util.Map<String, String> env, List<String> options, String... peers) {
        List<String> cmd = new ArrayList<>(List.of(jweave().toString(), "launch"));
        cmd.addAll(hostOptions(h));
        cmd.addAll(options);
        cmd.addAll(List.of(peers));
        return h.execOnHost(CLI_TIMEOUT, env, cmd.toArray(String[]::new));
    }

    static Result launchOk(SimHost h, String... peers) {
        Result r = launch(h, peers);
        if (!r.ok()) {
            throw new AssertionError("jweave launch on " + h.name() + " failed: " + r.describe()
                    + "\nrouter log:\n" + h.docker("logs", "--tail", "40", "jweave-router").describe());
        }
        return r;
    }

    /** {@code jweave stop} on {@code h}. */
    static Result stop(SimHost h) {
        return h.execOnHost(CLI_TIMEOUT, jweave().toString(), "stop", "--docker-host", h.dockerHost(),
                "--data-dir", dataDir(h).toString());
    }

    /** {@code jweave ARGS} on {@code h} (e.g. status --json). */
    static Result cli(SimHost h, String... args) {
        List<String> cmd = new ArrayList<>(List.of(jweave().toString()));
        cmd.addAll(List.of(args));
        cmd.add("--data-dir=" + dataDir(h));
        return h.execOnHost(Duration.ofMinutes(1), cmd.toArray(String[]::new));
    }

    /** Whether the router container runs on {@code h}. */
    static boolean containerRunning(SimHost h) {
        Result r = h.docker(Duration.ofSeconds(20), "inspect", "--format", "{{.State.Running}}", "jweave-router");
        return r.ok() && r.out().equals("true");
    }
}
