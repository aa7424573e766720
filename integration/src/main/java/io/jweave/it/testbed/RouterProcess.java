package io.jweave.it.testbed;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A jweave router running on a simulated host, started the way users start it:
 * {@code ./jweave launch --foreground} inside the host's network namespace; with the host's
 * {@link SimHost#routerPassword() password}, if it has one, in a mode-0600 file given as
 * {@code --password-file}.
 */
public final class RouterProcess {
    /** The repository root: {@code JWEAVE_HOME} (set by ./jweave) or the directory holding {@code jweave}. */
    public static final Path REPO = repo();
    /** Overlay range automatic subnets come from in tests, benchmarks and the demo. */
    public static final String OVERLAY_RANGE = "100.64.0.0/16";

    private final SimHost host;
    private final Path dataDir;
    private final List<String> extraArgs;
    private HostProcess process;
    private int starts;

    private RouterProcess(SimHost host, Path dataDir, List<String> extraArgs) {
        this.host = host;
        this.dataDir = dataDir;
        this.extraArgs = List.copyOf(extraArgs);
    }

    private static Path repo() {
        String home = System.getenv("JWEAVE_HOME");
        if (home != null && !home.isEmpty()) {
            return Path.of(home).toAbsolutePath();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (java.nio.file.Files.isExecutable(d.resolve("jweave")) && java.nio.file.Files.isDirectory(d.resolve("vxlan-router"))) {
                return d;
            }
        }
        return Path.of("").toAbsolutePath();
    }

    /** Starts a router on {@code host} and waits until its plugin socket answers. */
    public static RouterProcess launch(SimHost host, String... extraArgs) {
        return launch(host, host.runDir().resolve("jweave"), extraArgs);
    }

    /** As {@link #launch(SimHost, String...)}, with the router's data directory chosen by the caller. */
    public static RouterProcess launch(SimHost host, Path dataDir, String... extraArgs) {
        RouterProcess r = new RouterProcess(host, dataDir, List.of(extraArgs));
        r.start();
        return r;
    }

    public SimHost host() {
        return host;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The IPAM state file ({@code ipam.json} in the data directory). */
    public Path ipamFile() {
        return dataDir().resolve("ipam.json");
    }

    /** The router's networks and endpoints ({@code router-state.json}). */
    public Path stateFile() {
        return dataDir().resolve("router-state.json");
    }

    /** Where the per-network namespaces are bind-mounted. */
    public Path netnsDir() {
        return dataDir().resolve("netns");
    }

    /**
     * The file holding this router's mesh password, beside its data directory under the host's own
     * run directory ({@code <data-dir>.password}, mode 0600): written at each {@link #start()} from
     * {@link SimHost#routerPassword()}, absent when the host has none.
     */
    public Path passwordFile() {
        return dataDir.resolveSibling(dataDir.getFileName() + ".password");
    }

    public List<String> command() {
        List<String> cmd = new ArrayList<>(List.of(REPO.resolve("jweave").toString()));
        cmd.addAll(launchArguments(host, dataDir));
        if (host.routerPassword().isPresent()) {
            cmd.addAll(List.of("--password-file", passwordFile().toString()));
        }
        cmd.addAll(extraArgs);
        return cmd;
    }

    /** Writes (or removes) {@link #passwordFile()} as {@link SimHost#routerPassword()} says: 0600 from its creation on. */
    private void writePasswordFile() {
        Path f = passwordFile();
        try {
            Files.deleteIfExists(f);
            if (host.routerPassword().isEmpty()) {
                return;
            }
            Files.createDirectories(f.getParent());
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, host.routerPassword().get() + "\n");
        } catch (IOException e) {
            throw new TestbedException(host.name() + ": cannot write the password file " + f + ": " + e.getMessage(), e);
        }
    }

    /** {@code launch --foreground} and the options that tie a router to a simulated host. */
    public static List<String> launchArguments(SimHost host, Path dataDir) {
        return List.of("launch", "--foreground",
                "--name", host.name(), "--advertise-addr", host.underlayIp(),
                "--docker-host", "unix://" + host.dockerSocket(),
                "--plugin-socket", host.pluginSocket().toString(),
                "--data-dir", dataDir.toString(),
                "--ipalloc-range", OVERLAY_RANGE);
    }

    /** {@code jweave ARGS --data-dir DIR} against this router (e.g. status), run inside the host. */
    public Result cli(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(REPO.resolve("jweave").toString());
        cmd.addAll(List.of(args));
        cmd.add("--data-dir=" + dataDir);
        return host.exec(cmd.toArray(String[]::new));
    }

    /**
     * Starts the router (again, with the same data directory after {@link #crash()} or
     * {@link #stop()}) and waits until it answers {@code Plugin.Activate} on its socket. A socket
     * file left by a crashed router does not count: something must answer.
     */
    public void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("router on " + host.name() + " is still running");
        }
        starts++;
        writePasswordFile();
        process = host.spawnInNetns(starts == 1 ? "router" : "router-" + starts, command());
        // generous: ./jweave first rebuilds its jars when the sources changed (a minute or more on a busy machine)
        awaitAnswering(Duration.ofSeconds(300));
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

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public String logTail() {
        return process == null ? "" : process.logTail(60);
    }

    private void awaitAnswering(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no attempt";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("router on " + host.name() + " exited with " + process.exitCode()
                        + " during start; its log ends with:\n" + logTail());
            }
            try {
                String status = activate(host.pluginSocket());
                if (status.startsWith("HTTP/1.1 200")) {
                    return;
                }
                last = status;
            } catch (IOException e) {
                last = e.toString();
            }
            sleep(100);
        }
        throw new AssertionError("router on " + host.name() + " did not answer Plugin.Activate on "
                + host.pluginSocket() + " within " + timeout.toSeconds() + " s (last: " + last + "); log:\n" + logTail());
    }

    /** POST /Plugin.Activate as Docker sends it (no body); returns the status line. */
    static String activate(Path socket) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            String req = "POST /Plugin.Activate HTTP/1.1\r\nHost: plugin.moby.localhost\r\n"
                    + "Accept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            ch.configureBlocking(false); // a router that accepts but never answers must not hang the test
            ByteBuffer buf = ByteBuffer.allocate(4096);
            StringBuilder sb = new StringBuilder();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (sb.indexOf("\r\n") < 0 && System.nanoTime() < deadline) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    sleep(20);
                    continue;
                }
                sb.append(new String(buf.array(), 0, n, StandardCharsets.US_ASCII));
            }
            int eol = sb.indexOf("\r\n");
            return eol < 0 ? sb.toString() : sb.substring(0, eol);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
