package io.jweave.it.bench;

import io.jweave.it.testbed.HostProcess;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A router launched by a benchmark on a simulated host, the way users launch it:
 * {@code ./jweave launch --foreground ...} inside the host's network namespace (the test bed stops
 * it at teardown). Knows when it printed "ready", its pid and its resident memory.
 */
final class MeshRouter {

    private final SimHost host;
    private final Path dataDir;
    private final HostProcess process;
    private final long spawnedAtMillis;
    private final long spawnedAtNanos;
    private long readyAfterNanos = -1;
    private long answersAfterNanos = -1;

    private MeshRouter(SimHost host, Path dataDir, HostProcess process, long spawnedAtMillis, long spawnedAtNanos) {
        this.host = host;
        this.dataDir = dataDir;
        this.process = process;
        this.spawnedAtMillis = spawnedAtMillis;
        this.spawnedAtNanos = spawnedAtNanos;
    }

    /** The repository root (where {@code ./jweave} lives), found from this class's jar. */
    static Path repo() {
        try {
            Path p = Path.of(MeshRouter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path d = p; d != null; d = d.getParent()) {
                if (Files.isExecutable(d.resolve("jweave")) && Files.exists(d.resolve("pom.xml"))
                        && Files.isDirectory(d.resolve("integration"))) {
                    return d;
                }
            }
        } catch (Exception e) {
            // fall through
        }
        return Path.of("").toAbsolutePath();
    }

    /**
     * Spawns a router on {@code host} with a data directory {@code runDir/<tag>} and waits until it
     * printed its ready line and answers {@code Plugin.Activate}.
     *
     * <p>Through {@code ./jweave}, as users start it, so with the JVM flags the product ships (the
     * wrapper's check that the jars are current is part of what is measured).
     */
    static MeshRouter launch(SimHost host, String tag, String... peers) {
        return launch(host, tag, true, peers);
    }

    /**
     * As {@link #launch(SimHost, String, String...)}; with {@code classDataArchive} false the wrapper
     * runs the router without its class-data archive ({@code JWEAVE_CDS=0}), the baseline.
     */
    static MeshRouter launch(SimHost host, String tag, boolean classDataArchive, String... peers) {
        return launch(host, tag, host.runDir().resolve(tag), classDataArchive, List.of(), peers);
    }

    /**
     * As {@link #launch(SimHost, String, String...)}, with the process named {@code name} (its log:
     * {@code name.log}), the data directory {@code dataDir} (the same one again restarts a router
     * with its state) and extra launch {@code options} (e.g. {@code --password-file FILE}).
     */
    static MeshRouter launch(SimHost host, String name, Path dataDir, List<String> options, String... peers) {
        return launch(host, name, dataDir, true, options, peers);
    }

    private static MeshRouter launch(SimHost host, String name, Path dataDir, boolean classDataArchive,
                                     List<String> options, String... peers) {
        List<String> cmd = new ArrayList<>();
        if (!classDataArchive) {
            cmd.addAll(List.of("env", "JWEAVE_CDS=0"));
        }
        cmd.addAll(routerJvm());
        cmd.addAll(RouterProcess.launchArguments(host, dataDir));
        cmd.addAll(options);
        cmd.addAll(List.of(peers));
        long ms = System.currentTimeMillis();
        long ns = System.nanoTime();
        HostProcess p = host.spawnInNetns(name, cmd);
        MeshRouter r = new MeshRouter(host, dataDir, p, ms, ns);
        r.awaitReady(Duration.ofSeconds(90));
        return r;
    }

    /** The command that runs the router's CLI: {@code ./jweave} (JVM flags and class path as shipped). */
    static List<String> routerJvm() {
        return List.of(RouterProcess.REPO.resolve("jweave").toString());
    }

    SimHost host() {
        return host;
    }

    Path dataDir() {
        return dataDir;
    }

    HostProcess process() {
        return process;
    }

    /** Milliseconds since {@code ./jweave launch} was spawned. */
    double msSinceSpawn() {
        return (System.nanoTime() - spawnedAtNanos) / 1e6;
    }

    /** From spawning {@code ./jweave launch} to its "jweave router NAME ready" line. */
    double readyMs() {
        return readyAfterNanos / 1e6;
    }

    /** From spawning to the first answered {@code Plugin.Activate}. */
    double answersMs() {
        return answersAfterNanos / 1e6;
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String line = "jweave router " + host.name() + " ready";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("router on " + host.name() + " exited with " + process.exitCode()
                        + " during start; its log ends with:\n" + process.logTail(40));
            }
            if (readyAfterNanos < 0 && logContains(line)) {
                readyAfterNanos = System.nanoTime() - spawnedAtNanos;
            }
            if (answersAfterNanos < 0 && answers()) {
                answersAfterNanos = System.nanoTime() - spawnedAtNanos;
            }
            if (readyAfterNanos >= 0 && answersAfterNanos >= 0) {
                return;
            }
            MeshBench.sleep(5);
        }
        throw new IllegalStateException("router on " + host.name() + " not ready within " + timeout.toSeconds()
                + " s; log:\n" + process.logTail(40));
    }

    private boolean logContains(String s) {
        try {
            return Files.readString(process.log()).contains(s);
        } catch (IOException e) {
            return false;
        }
    }

    private boolean answers() {
        try {
            return activate(host.pluginSocket()).startsWith("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }

    /** POST /Plugin.Activate as Docker sends it; returns the status line. */
    static String activate(Path socket) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            String req = "POST /Plugin.Activate HTTP/1.1\r\nHost: plugin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            ch.configureBlocking(false);
            ByteBuffer buf = ByteBuffer.allocate(4096);
            StringBuilder sb = new StringBuilder();
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (sb.indexOf("\r\n") < 0 && System.nanoTime() < deadline) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    MeshBench.sleep(2);
                    continue;
                }
                sb.append(new String(buf.array(), 0, n, StandardCharsets.US_ASCII));
            }
            int eol = sb.indexOf("\r\n");
            return eol < 0 ? sb.toString() : sb.substring(0, eol);
        }
    }

    /** Pid of the router's JVM (the spawned process execs it; a descendant otherwise). */
    long javaPid() {
        Optional<ProcessHandle> self = ProcessHandle.of(process.pid());
        if (self.isEmpty()) {
            return -1;
        }
        if (self.get().info().command().map(c -> c.endsWith("/java")).orElse(false)) {
            return process.pid();
        }
        return self.get().descendants().filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
    }

    /** Resident set size of the router's JVM in MiB (VmRSS), or -1. */
    double rssMiB() {
        return statusKiB(javaPid(), "VmRSS") / 1024.0;
    }

    static long statusKiB(long pid, String field) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith(field + ":")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Milliseconds from spawning the router to the first log line containing {@code marker}
     * (the router logs wall-clock HH:mm:ss.SSS), or NaN.
     */
    double logOffsetMs(String marker) {
        Pattern ts = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) ");
        try (Stream<String> lines = Files.lines(process.log())) {
            for (String l : (Iterable<String>) lines::iterator) {
                Matcher m = ts.matcher(l);
                if (m.find() && l.contains(marker)) {
                    LocalTime t = LocalTime.parse(m.group(1));
                    long at = t.atDate(LocalDate.now()).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
                    return at - spawnedAtMillis;
                }
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** The first number following {@code marker} in the log (e.g. "joined as host2 in " → ms), or NaN. */
    double logNumberAfter(String marker) {
        try {
            String s = Files.readString(process.log());
            int i = s.indexOf(marker);
            if (i < 0) {
                return Double.NaN;
            }
            Matcher m = Pattern.compile("(\\d+)").matcher(s.substring(i + marker.length()));
            return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /** SIGTERM and wait. */
    void stop() {
        process.stop(Duration.ofSeconds(20));
    }
}
