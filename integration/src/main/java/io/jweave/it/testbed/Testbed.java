package io.jweave.it.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Simulated Docker hosts on this machine (DESIGN §7). {@code N} network namespaces, each with
 * {@code eth0} = 198.51.100.(10+i)/24 on a bridge in a separate "underlay" namespace, its own
 * dockerd and the test image. Nothing is created in the root network namespace.
 *
 * <pre>
 * try (Testbed tb = Testbed.builder().hosts(2).start()) {
 *     SimHost h1 = tb.host(1);
 *     h1.run("--rm", "--network", "none", TestImage.NAME, "echo", "hello");
 * }
 * </pre>
 *
 * <p>Everything is named {@code jwtb<runid>-...}; {@link #close()} (also run from a JVM shutdown
 * hook, and on a failed start) removes all of it. Logs stay under {@code target/testbed/<runid>/}.
 */
public final class Testbed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Testbed.class);
    static final String UNDERLAY_NET = "198.51.100.";
    static final String UNREACHABLE_RESOLVER = "203.0.113.53";
    private static final Pattern RUN_ID = Pattern.compile("[a-z0-9]{1,10}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String runId;
    private final String prefix;
    private final Path logDir;
    private final Path runDir;
    private final List<SimHost> hosts = new ArrayList<>();
    private final Map<String, Duration> timings = new LinkedHashMap<>();
    private final Thread shutdownHook;
    private boolean closed;

    private Testbed(Builder b) {
        this.runId = b.runId != null ? b.runId : newRunId();
        if (!RUN_ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("run id must match " + RUN_ID + ": " + runId);
        }
        this.prefix = Sweeper.PREFIX + runId + "-";
        this.logDir = b.logRoot.resolve(runId).toAbsolutePath();
        this.runDir = Path.of("/run", prefix + "bed");
        for (int i = 1; i <= b.hosts; i++) {
            hosts.add(new SimHost(this, i).routerPassword(b.password));
        }
        this.shutdownHook = new Thread(this::closeQuietly, "testbed-" + runId + "-shutdown");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A fresh random run id (6 hex digits). */
    public static String newRunId() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Options of a test bed; {@link #start()} creates it. */
    public static final class Builder {
        private int hosts = 2;
        private String runId;
        private boolean docker = true;
        private boolean image = true;
        private final List<String> imageTools = new ArrayList<>();
        private final List<String> dockerdArgs = new ArrayList<>();
        private boolean sharedMounts;
        private Duration dockerdTimeout = Duration.ofSeconds(60);
        private boolean sweepStale = true;
        private String password;
        private Path logRoot = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "target", "testbed");

        /** Number of simulated hosts (1..200). Default 2. */
        public Builder hosts(int n) {
            if (n < 1 || n > 200) {
                throw new IllegalArgumentException("hosts: 1..200, not " + n);
            }
            this.hosts = n;
            return this;
        }

        /** Run id ([a-z0-9]{1,10}); default random. Names are prefixed {@code jwtb<runid>-}. */
        public Builder runId(String id) {
            this.runId = id;
            return this;
        }

        /** Whether to start a dockerd in each host (default true). Without it, only the network exists. */
        public Builder docker(boolean start) {
            this.docker = start;
            return this;
        }

        /** Whether to import {@link TestImage#NAME} into each dockerd (default true). */
        public Builder image(boolean importImage) {
            this.image = importImage;
            return this;
        }

        /** Extra installed binaries to put in the test image with their libraries, e.g. "/usr/bin/dig". */
        public Builder imageTools(String... absolutePaths) {
            this.imageTools.addAll(List.of(absolutePaths));
            return this;
        }

        /** Extra dockerd arguments, e.g. "--dns", "100.64.0.1" or "--iptables=false". */
        public Builder dockerdArgs(String... args) {
            this.dockerdArgs.addAll(List.of(args));
            return this;
        }

        /**
         * Whether each host's mount namespace (where its dockerd runs) is made {@code rshared}, as
         * systemd makes a real host's: needed for containers that share mounts back to their host
         * ({@code rshared} binds, e.g. the router container's data directory). Default false.
         */
        public Builder sharedMounts(boolean shared) {
            this.sharedMounts = shared;
            return this;
        }

        /** How long to wait for each dockerd's API to answer (default 60 s). */
        public Builder dockerdTimeout(Duration timeout) {
            this.dockerdTimeout = timeout;
            return this;
        }

        /** Whether to sweep leftovers of dead earlier runs first (default true). */
        public Builder sweepStale(boolean sweep) {
            this.sweepStale = sweep;
            return this;
        }

        /**
         * The mesh password every host's routers are started with by {@link RouterProcess} (written
         * to a mode-0600 file beside the router's data directory, passed as {@code --password-file});
         * default none. {@link SimHost#routerPassword(String)} overrides it per host.
         */
        public Builder password(String password) {
            if (password != null && password.isBlank()) {
                throw new IllegalArgumentException("password: empty; null for none");
            }
            this.password = password;
            return this;
        }

        /** Directory for logs, one sub-directory per run (default {@code target/testbed}). */
        public Builder logRoot(Path dir) {
            this.logRoot = dir;
            return this;
        }

        /** Creates the test bed. On failure everything created so far is removed before the exception. */
        public Testbed start() {
            Testbed tb = new Testbed(this);
            try {
                tb.create(this);
                return tb;
            } catch (RuntimeException | Error e) {
                try {
                    tb.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- accessors

    public String runId() {
        return runId;
    }

    /** {@code jwtb<runid>-}: every namespace, directory and cgroup of this run starts with it. */
    public String prefix() {
        return prefix;
    }

    public List<SimHost> hosts() {
        return List.copyOf(hosts);
    }

    /** Host by 1-based index. */
    public SimHost host(int index) {
        return hosts.get(index - 1);
    }

    /** Host by short name ({@code host1}). */
    public SimHost host(String name) {
        return hosts.stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no host " + name));
    }

    /** Namespace holding the underlay bridge {@code br0}. */
    public String underlayNetns() {
        return prefix + "ul";
    }

    public Path logDir() {
        return logDir;
    }

    /** Step name → duration, for the start and for close (e.g. "start.total", "close.total"). */
    public synchronized Map<String, Duration> timings() {
        return Map.copyOf(timings);
    }

    public synchronized Duration startDuration() {
        return timings.get("start.total");
    }

    public synchronized Duration closeDuration() {
        return timings.get("close.total");
    }

    Path wrapperScript() {
        return runDir.resolve("host-wrapper.sh");
    }

    /** Where a host's mount namespace is kept (bind mount of its nsfs file) between dockerd runs. */
    Path mountNsFile(String host) {
        return runDir.resolve(host + ".mnt");
    }

    Path cgroupMountsFile() {
        return runDir.resolve("cgroup-mounts");
    }

    // ---------------------------------------------------------------- creation

    private void create(Builder b) {
        long t0 = System.nanoTime();
        if (b.sweepStale) {
            List<String> swept = Sweeper.sweepStale();
            if (!swept.isEmpty()) {
                log.info("swept leftovers of earlier runs {}", swept);
            }
        }
        Sweeper.claim(runId);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            Files.createDirectories(logDir);
            Files.createDirectories(runDir);
            try (InputStream in = Testbed.class.getResourceAsStream("/testbed/host-wrapper.sh")) {
                if (in == null) {
                    throw new TestbedException("resource /testbed/host-wrapper.sh missing from the test class path");
                }
                Files.copy(in, wrapperScript());
            }
        } catch (IOException e) {
            throw new TestbedException("cannot prepare " + runDir, e);
        }
        Commands.write(cgroupMountsFile(), cgroupMounts());
        log.info("test bed {}: {} hosts, logs in {}", runId, hosts.size(), logDir);

        long t = System.nanoTime();
        String ul = underlayNetns();
        Commands.runOk(Duration.ofSeconds(10), "ip", "netns", "add", ul);
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", ul, "link", "set", "lo", "up");
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", ul, "link", "add", "br0", "type", "bridge");
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", ul, "link", "set", "br0", "up");
        StringBuilder hostsFile = new StringBuilder();
        for (SimHost h : hosts) {
            hostsFile.append(h.underlayIp()).append('\t').append(h.name()).append('\n');
        }
        for (SimHost h : hosts) {
            h.createNamespace();
            h.writeEtc(hostsFile.toString());
        }
        record("start.network", t);

        if (b.docker) {
            Path tar = null;
            if (b.image) {
                t = System.nanoTime();
                tar = TestImage.tarball(b.imageTools);
                record("start.image-build", t);
            }
            t = System.nanoTime();
            forEachHost(h -> h.startDockerd(b.dockerdArgs, b.dockerdTimeout, b.sharedMounts));
            record("start.dockerd", t);
            if (tar != null) {
                Path image = tar;
                t = System.nanoTime();
                forEachHost(h -> h.importImage(image));
                record("start.image-import", t);
            }
        }
        record("start.total", t0);
        log.info("test bed {} up in {} ms: {}", runId, (System.nanoTime() - t0) / 1_000_000, timings());
    }

    /**
     * The cgroup mounts dockerd needs, as "fstype source target options" lines, from /proc/1/mounts
     * (as the notes say) or, when that is unreadable or has none, from this process's mounts.
     */
    static String cgroupMounts() {
        for (Path source : List.of(Path.of("/proc/1/mounts"), Path.of("/proc/self/mounts"))) {
            List<String> lines;
            try {
                lines = Files.readAllLines(source);
            } catch (IOException e) {
                continue;
            }
            StringBuilder out = new StringBuilder();
            boolean any = false;
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f.length < 4) {
                    continue;
                }
                String src = f[0];
                String target = f[1];
                String type = f[2];
                String opts = f[3];
                if (!target.equals("/sys/fs/cgroup") && !target.startsWith("/sys/fs/cgroup/")) {
                    continue;
                }
                if (type.equals("cgroup") || type.equals("cgroup2") || (type.equals("tmpfs") && target.equals("/sys/fs/cgroup"))) {
                    out.append(type).append(' ').append(src).append(' ').append(target).append(' ').append(opts).append('\n');
                    any |= !type.equals("tmpfs");
                }
            }
            if (any) {
                return out.toString();
            }
        }
        throw new TestbedException("no cgroup hierarchy found in /proc/1/mounts or /proc/self/mounts; dockerd cannot run");
    }

    private void forEachHost(Consumer<SimHost> action) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(hosts.size(), 8));
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (SimHost h : hosts) {
                futures.add(pool.submit(() -> action.accept(h)));
            }
            RuntimeException first = null;
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    RuntimeException re = e.getCause() instanceof RuntimeException r ? r
                            : new TestbedException(e.getCause().toString(), e.getCause());
                    if (first == null) {
                        first = re;
                    } else {
                        first.addSuppressed(re);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TestbedException("interrupted", e);
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            pool.shutdown();
        }
    }

    private synchronized void record(String step, long startNanos) {
        timings.put(step, Duration.ofNanos(System.nanoTime() - startNanos));
    }

    // ---------------------------------------------------------------- teardown

    /**
     * Leaves everything running after this JVM exits (the demo's {@code --keep}): the shutdown hook
     * is removed; {@link Sweeper#sweepStale()} (or {@code ./jweave demo --cleanup}) removes it later,
     * since the run's owner process is then gone.
     */
    public synchronized void keepAfterExit() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // shutting down already, or the hook was never registered
        }
        closed = true;
    }

    /**
     * Removes the containers of each daemon, stops each dockerd by pid (SIGTERM, then SIGKILL after
     * 20 s) and every spawned process, then sweeps the run (namespaces, mounts, cgroups,
     * directories). Idempotent. Throws if something needed force; the sweep runs regardless.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long t0 = System.nanoTime();
        List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            forEachHost(h -> h.stopAll(problems));
        } catch (RuntimeException e) {
            problems.add("stopping hosts: " + e);
        } finally {
            Sweeper.sweepRun(runId);
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // shutting down already, or the hook was never registered
            }
            record("close.total", t0);
            log.info("test bed {} removed in {} ms", runId, (System.nanoTime() - t0) / 1_000_000);
        }
        if (!problems.isEmpty()) {
            throw new TestbedException("test bed " + runId + " teardown had problems:\n" + String.join("\n", problems));
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("test bed " + runId + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "Testbed " + runId + " " + hosts;
    }
}
