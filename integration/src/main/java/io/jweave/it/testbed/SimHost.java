package io.jweave.it.testbed;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated Docker host: a network namespace with {@code eth0} on the underlay, its own
 * dockerd (own data root, exec root, socket, UTS host name and plugin directory), and any
 * long-running processes a test starts in it.
 *
 * <p>Paths, for a host whose namespace is {@code jwtb<runid>-host1}:
 * <pre>
 *   /run/jwtb&lt;runid&gt;-host1/docker.sock      Docker API
 *   /run/jwtb&lt;runid&gt;-host1/docker            dockerd --exec-root
 *   /run/jwtb&lt;runid&gt;-host1/jweave.sock      where the host's plugin (router) must listen
 *   /var/lib/jwtb&lt;runid&gt;-host1               dockerd --data-root
 *   /etc/netns/jwtb&lt;runid&gt;-host1/            resolv.conf, hosts, docker/plugins/jweave.spec
 * </pre>
 */
public final class SimHost {

    private static final Logger log = LoggerFactory.getLogger(SimHost.class);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);
    private static final String DOCKER_CLI = Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";

    private final Testbed testbed;
    private final int index;
    private final String name;
    private final String netns;
    private final String underlayIp;
    private final Path runDir;
    private final Path dataRoot;
    private final Path etcDir;
    private final Path logDir;
    private final List<HostProcess> processes = new CopyOnWriteArrayList<>();
    private volatile Process dockerd;
    private volatile Duration dockerdReadyAfter;
    private volatile List<String> dockerdExtraArgs = List.of();
    private volatile Duration dockerdStartTimeout = Duration.ofSeconds(60);
    private volatile boolean sharedMounts;
    private volatile String routerPassword;

    SimHost(Testbed testbed, int index) {
        this.testbed = testbed;
        this.index = index;
        this.name = "host" + index;
        this.netns = testbed.prefix() + name;
        this.underlayIp = Testbed.UNDERLAY_NET + (10 + index);
        this.runDir = Path.of("/run", netns);
        this.dataRoot = Path.of("/var/lib", netns);
        this.etcDir = Path.of("/etc/netns", netns);
        this.logDir = testbed.logDir().resolve(name);
    }

    // ---------------------------------------------------------------- identity

    /** 1-based position in the test bed. */
    public int index() {
        return index;
    }

    /** Short name, also the UTS host name of its dockerd and processes: {@code host1}, {@code host2}, ... */
    public String name() {
        return name;
    }

    /** Network namespace name, {@code jwtb<runid>-host<i>}. */
    public String netns() {
        return netns;
    }

    /** Underlay address of {@code eth0}, 198.51.100.(10+i). */
    public String underlayIp() {
        return underlayIp;
    }

    /** Name of this host's underlay link (in its namespace). */
    public String underlayDevice() {
        return "eth0";
    }

    /** Name of the peer veth in the underlay namespace, enslaved to its bridge. */
    public String underlayPort() {
        return "ul-" + name;
    }

    public Testbed testbed() {
        return testbed;
    }

    public Path runDir() {
        return runDir;
    }

    public Path dataRoot() {
        return dataRoot;
    }

    /**
     * The mesh password {@link RouterProcess} starts this host's routers with (null = none, the
     * default unless {@link Testbed.Builder#password(String)} gave one). Read at each
     * {@link RouterProcess#start()}: a test can give one host a wrong password, or none, or change it
     * between a stop and a start.
     */
    public SimHost routerPassword(String password) {
        this.routerPassword = password;
        return this;
    }

    /** See {@link #routerPassword(String)}. */
    public java.util.Optional<String> routerPassword() {
        return java.util.Optional.ofNullable(routerPassword);
    }

    /** {@code /etc/netns/<netns>}: bind-mounted over {@code /etc} by {@code ip netns exec}. */
    public Path etcDir() {
        return etcDir;
    }

    /** Directory (kept after teardown) with this host's dockerd log and process logs. */
    public Path logDir() {
        return logDir;
    }

    public Path dockerSocket() {
        return runDir.resolve("docker.sock");
    }

    /** {@code unix:///run/<netns>/docker.sock}. */
    public String dockerHost() {
        return "unix://" + dockerSocket();
    }

    public Path dockerPidFile() {
        return runDir.resolve("docker.pid");
    }

    public Path dockerdLog() {
        return logDir.resolve("dockerd.log");
    }

    /** Where this host's dockerd expects the jweave plugin (the spec file points here). */
    public Path pluginSocket() {
        return runDir.resolve("jweave.sock");
    }

    /** The plugin spec file this host's dockerd reads (as /etc/docker/plugins/jweave.spec). */
    public Path pluginSpec() {
        return etcDir.resolve("docker/plugins/jweave.spec");
    }

    /** Time from launching dockerd until its API answered, or null if it was not started. */
    public Duration dockerdReadyAfter() {
        return dockerdReadyAfter;
    }

    /** Pid of this host's dockerd, or -1 if none is running. */
    public long dockerdPid() {
        Process p = dockerd;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    // ---------------------------------------------------------------- commands

    /** {@code ip netns exec <netns>} followed by the wrapper that sets the UTS host name. */
    List<String> inHost(String mountsFile, String privateRunDir) {
        return List.of("ip", "netns", "exec", netns, "unshare", "--uts", "/bin/sh",
                testbed.wrapperScript().toString(), name, mountsFile, privateRunDir);
    }

    /** Runs a command inside this host's network namespace (host name = {@link #name()}). */
    public Result exec(Duration timeout, String... command) {
        return Commands.run(Commands.concat(inHost("-", "-"), command), timeout);
    }

    /** As {@link #exec(Duration, String...)}, with extra environment variables (e.g. JWEAVE_PASSWORD). */
    public Result exec(Duration timeout, Map<String, String> env, String... command) {
        return Commands.run(Commands.concat(inHost("-", "-"), command), timeout, env);
    }

    public Result exec(String... command) {
        return exec(DEFAULT_TIMEOUT, command);
    }

    /**
     * Runs a command as one run on this host's shell would: in the mount, network and UTS
     * namespaces of its dockerd ({@code nsenter -t <dockerd> -m -n -u}), so it sees the same files,
     * sockets and mounts as dockerd (e.g. {@code jweave launch} running the router container).
     */
    public Result execOnHost(Duration timeout, String... command) {
        return execOnHost(timeout, Map.of(), command);
    }

    /** As {@link #execOnHost(Duration, String...)}, with extra environment variables (e.g. JWEAVE_PASSWORD). */
    public Result execOnHost(Duration timeout, Map<String, String> env, String... command) {
        long pid = dockerdPid();
        if (pid < 0) {
            throw new TestbedException(name + ": no dockerd running, so no host mount namespace to run in");
        }
        return Commands.run(Commands.concat(List.of("nsenter", "-t", Long.toString(pid), "-m", "-n", "-u", "--"), command),
                timeout, env);
    }

    /** Like {@link #exec(String...)}, throwing with stderr if the command fails. */
    public Result execOk(String... command) {
        return exec(command).orThrow();
    }

    /** Runs the Docker CLI against this host's daemon, from inside its namespace. */
    public Result docker(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns, DOCKER_CLI, "-H", dockerHost()));
        cmd.addAll(Arrays.asList(args));
        return Commands.run(cmd, timeout, Map.of("DOCKER_CONFIG", runDir.resolve("client").toString()));
    }

    public Result docker(String... args) {
        return docker(DEFAULT_TIMEOUT, args);
    }

    /** Like {@link #docker(String...)}, throwing with stderr if the command fails. */
    public Result dockerOk(String... args) {
        return docker(args).orThrow();
    }

    /**
     * {@code docker run --init --pull never <args>}: args are the remaining run options, the image
     * ({@link TestImage#NAME}) and the command. Throws on failure; returns stdout (the container id
     * with {@code -d}).
     */
    public String run(String... args) {
        List<String> all = new ArrayList<>(List.of("run", "--init", "--pull", "never"));
        all.addAll(Arrays.asList(args));
        return docker(all.toArray(String[]::new)).orThrow().out();
    }

    /** The IPv4 address of a container on one network ("" if it is not attached). */
    public String containerIp(String container, String network) {
        return dockerOk("inspect", "-f", "{{with index .NetworkSettings.Networks \"" + network + "\"}}{{.IPAddress}}{{end}}",
                container).out();
    }

    /** Waits until the plugin socket file exists (the router has bound it). */
    public void awaitPluginSocket(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(pluginSocket())) {
            if (System.nanoTime() > deadline) {
                throw new TestbedException(name + ": no plugin socket at " + pluginSocket() + " after "
                        + timeout.toMillis() + " ms");
            }
            Procs.sleep(50);
        }
    }

    /** Ids of all containers of this daemon, running or not. */
    public List<String> containerIds() {
        String out = dockerOk("ps", "-aq", "--no-trunc").out();
        return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
    }

    /**
     * Starts a long-running process inside this host (e.g. the router:
     * {@code spawn("router", List.of("./jweave", "launch", "--foreground", ...))}). Its output goes
     * to {@code logDir()/<name>.log}; the test bed stops it at teardown.
     */
    public HostProcess spawn(String processName, List<String> command) {
        return spawn(processName, command, Map.of(), null);
    }

    /**
     * Starts a long-running process that enters only this host's <em>network</em> namespace
     * ({@code nsenter --net}) and stays in the machine's mount namespace, as a router on a real
     * host would: mounts it makes (the router's per-network namespaces under its data directory)
     * outlive the process, so a crashed and restarted router finds its datapath again. With
     * {@link #spawn} the process would get a private mount namespace that dies with it.
     */
    public HostProcess spawnInNetns(String processName, List<String> command) {
        List<String> prefix = List.of("nsenter", "--net=/run/netns/" + netns, "--");
        return start(processName, Commands.concat(prefix, command.toArray(String[]::new)), Map.of(), null);
    }

    /** As {@link #spawn(String, List)}, with extra environment variables and a working directory (or null). */
    public HostProcess spawn(String processName, List<String> command, Map<String, String> env, Path workDir) {
        List<String> full = new ArrayList<>(inHost("-", "-"));
        full.addAll(command);
        return start(processName, full, env, workDir);
    }

    private HostProcess start(String processName, List<String> inHostCommand, Map<String, String> env, Path workDir) {
        List<String> full = new ArrayList<>();
        full.add("setsid");
        full.addAll(inHostCommand);
        List<String> command = inHostCommand;
        Path logFile = logDir.resolve(processName + ".log");
        try {
            Files.createDirectories(logDir);
            ProcessBuilder pb = new ProcessBuilder(full)
                    .redirectInput(new File("/dev/null"))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            // a router's password comes from the test (RouterProcess), never from the shell that runs the tests
            pb.environment().remove("JWEAVE_PASSWORD");
            pb.environment().putAll(env);
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            HostProcess hp = new HostProcess(processName, this, pb.start(), full, logFile);
            processes.add(hp);
            log.info("{}: started {} (pid {}): {}", name, processName, hp.pid(), String.join(" ", command));
            return hp;
        } catch (IOException e) {
            throw new TestbedException(name + ": cannot start " + processName + ": " + e.getMessage(), e);
        }
    }

    /** Processes started with {@link #spawn} (including ended ones). */
    public List<HostProcess> processes() {
        return List.copyOf(processes);
    }

    // ---------------------------------------------------------------- faults

    /**
     * Restarts this host's dockerd as a service manager would: SIGTERM (it stops its containers,
     * there is no live-restore), wait for it to exit, start it again with the same arguments and
     * wait until its API answers. Containers with a restart policy come back; others stay stopped.
     */
    public void restartDockerd() {
        Process d = dockerd;
        if (d == null) {
            throw new TestbedException(name + ": dockerd was never started");
        }
        List<String> problems = new ArrayList<>();
        if (d.isAlive()) {
            stopDockerd(d, problems);
        }
        if (!problems.isEmpty()) {
            throw new TestbedException(name + ": restarting dockerd: " + String.join("; ", problems));
        }
        startDockerd(dockerdExtraArgs, dockerdStartTimeout, sharedMounts);
    }

    /** Takes the underlay-side port of this host down (like pulling its cable) or brings it back up. */
    public void setUnderlayLinkUp(boolean up) {
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", testbed.underlayNetns(), "link", "set",
                underlayPort(), up ? "up" : "down");
    }

    // ---------------------------------------------------------------- lifecycle (package-private)

    void createNamespace() {
        String ul = testbed.underlayNetns();
        Commands.runOk(Duration.ofSeconds(10), "ip", "netns", "add", netns);
        // the veth is created directly between the two namespaces: nothing appears in the root namespace
        Commands.runOk(Duration.ofSeconds(10), "ip", "link", "add", "eth0", "netns", netns, "type", "veth",
                "peer", "name", underlayPort(), "netns", ul);
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", ul, "link", "set", underlayPort(), "master", "br0", "up");
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", netns, "link", "set", "lo", "up");
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", netns, "addr", "add", underlayIp + "/24", "dev", "eth0");
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", netns, "link", "set", "eth0", "up");
    }

    void writeEtc(String hostsFile) {
        Commands.write(etcDir.resolve("resolv.conf"), "nameserver " + Testbed.UNREACHABLE_RESOLVER + "\n");
        Commands.write(etcDir.resolve("hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                + hostsFile);
        Commands.write(pluginSpec(), "unix://" + pluginSocket() + "\n");
        try {
            Files.createDirectories(runDir);
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new TestbedException("cannot create " + runDir, e);
        }
    }

    void startDockerd(List<String> extraArgs, Duration timeout, boolean shared) {
        dockerdExtraArgs = List.copyOf(extraArgs);
        dockerdStartTimeout = timeout;
        sharedMounts = shared;
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        Path keptMountNs = testbed.mountNsFile(name);
        boolean reuseMountNs = shared && isMountNs(keptMountNs);
        if (reuseMountNs) {
            // a restart: the same mount namespace as before (as on a real host, where dockerd's
            // restart keeps /run, Docker's sandbox mounts and shim sockets); only a new UTS one
            cmd.addAll(List.of("nsenter", "--mount=" + keptMountNs, "--net=/run/netns/" + netns, "--",
                    "unshare", "--uts", "/bin/sh", "-c", "hostname \"$0\" && exec \"$@\"", name));
        } else {
            cmd.addAll(inHost(testbed.cgroupMountsFile().toString(), runDir.toString()));
        }
        cmd.addAll(List.of("dockerd",
                "--data-root", dataRoot.toString(),
                "--exec-root", runDir.resolve("docker").toString(),
                "--pidfile", dockerPidFile().toString(),
                "-H", dockerHost(),
                "--bridge=none",
                "--default-address-pool", "base=100.127.0.0/16,size=24",
                // containers in their own cgroup subtree: easy to find and to sweep
                "--cgroup-parent", "/" + netns));
        cmd.addAll(extraArgs);
        long start = System.nanoTime();
        try {
            Files.createDirectories(logDir);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(new File("/dev/null"))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dockerdLog().toFile()));
            if (shared) {
                pb.environment().put("JWTB_SHARED_MOUNTS", "1"); // read by host-wrapper.sh
            }
            dockerd = pb.start();
        } catch (IOException e) {
            throw new TestbedException(name + ": cannot start dockerd: " + e.getMessage(), e);
        }
        long deadline = start + timeout.toNanos();
        Result last = null;
        while (System.nanoTime() < deadline) {
            if (!dockerd.isAlive()) {
                throw new TestbedException(name + ": dockerd exited with status " + dockerd.exitValue()
                        + " during start; last lines of " + dockerdLog() + ":\n" + HostProcess.tail(dockerdLog(), 30));
            }
            if (Files.exists(dockerSocket())) {
                last = docker(Duration.ofSeconds(10), "info", "--format", "{{.Name}}");
                if (last.ok()) {
                    if (shared && !reuseMountNs) {
                        keepMountNs(keptMountNs);
                    }
                    dockerdReadyAfter = Duration.ofNanos(System.nanoTime() - start);
                    log.info("{}: dockerd (pid {}) ready after {} ms", name, dockerd.pid(), dockerdReadyAfter.toMillis());
                    return;
                }
            }
            Procs.sleep(50);
        }
        throw new TestbedException(name + ": dockerd did not answer within " + timeout.toSeconds() + " s"
                + (last == null ? "" : "; last try: " + last.describe())
                + "\nlast lines of " + dockerdLog() + ":\n" + HostProcess.tail(dockerdLog(), 30));
    }

    /**
     * With shared mounts the host's mount namespace is kept by a bind mount of dockerd's nsfs file
     * on {@code file} (in the machine's namespace), so a restarted dockerd runs in the same one.
     */
    private void keepMountNs(Path file) {
        try {
            Files.createDirectories(file.getParent());
            if (!Files.exists(file)) {
                Files.createFile(file);
            }
        } catch (IOException e) {
            throw new TestbedException(name + ": cannot create " + file, e);
        }
        Commands.runOk(Duration.ofSeconds(10), "mount", "--bind", "/proc/" + dockerd.pid() + "/ns/mnt", file.toString());
    }

    private static boolean isMountNs(Path file) {
        return Files.exists(file) && Commands.run(Duration.ofSeconds(10), "findmnt", "-n", file.toString()).ok();
    }

    /** Releases the kept mount namespace (after dockerd stopped for good). */
    void releaseMountNs(List<String> problems) {
        Path file = testbed.mountNsFile(name);
        if (Files.exists(file)) {
            Result r = Commands.run(Duration.ofSeconds(10), "umount", file.toString());
            if (!r.ok() && isMountNs(file)) {
                problems.add(name + ": " + r.describe());
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                problems.add(name + ": cannot remove " + file + ": " + e.getMessage());
            }
        }
    }

    void importImage(Path tarball) {
        dockerOk("import", "-c", "CMD [\"/bin/sh\"]", tarball.toString(), TestImage.NAME);
    }

    /** Stops everything of this host that the test bed started, politely; the sweep does the rest. */
    void stopAll(List<String> problems) {
        Process d = dockerd;
        if (d != null && d.isAlive()) {
            Result ps = docker(Duration.ofSeconds(30), "ps", "-aq");
            if (ps.ok() && !ps.out().isEmpty()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(List.of(ps.out().split("\\s+")));
                Result r = docker(Duration.ofSeconds(90), rm.toArray(String[]::new));
                if (!r.ok()) {
                    problems.add(name + ": " + r.describe());
                }
            } else if (!ps.ok()) {
                problems.add(name + ": " + ps.describe());
            }
            stopDockerd(d, problems);
        }
        releaseMountNs(problems);
        for (int i = processes.size() - 1; i >= 0; i--) {
            HostProcess hp = processes.get(i);
            if (hp.isAlive() && !hp.stop(Duration.ofSeconds(10))) {
                problems.add(name + ": " + hp.name() + " did not stop on SIGTERM within 10 s (killed)");
            }
        }
    }

    private void stopDockerd(Process d, List<String> problems) {
        // Only ever signal the daemon we started: the pidfile must name our process.
        long pid = d.pid();
        try {
            long fromFile = Long.parseLong(Files.readString(dockerPidFile()).strip());
            if (fromFile != pid) {
                problems.add(name + ": pidfile names " + fromFile + " but we started dockerd as " + pid
                        + "; signalling only " + pid);
            }
        } catch (IOException | NumberFormatException e) {
            problems.add(name + ": cannot read " + dockerPidFile() + ": " + e);
        }
        long t0 = System.nanoTime();
        if (!Procs.terminate(pid, Duration.ofSeconds(20), false)) {
            problems.add(name + ": dockerd did not stop on SIGTERM within 20 s (killed)");
        }
        try {
            d.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("{}: dockerd stopped in {} ms", name, (System.nanoTime() - t0) / 1_000_000);
    }

    @Override
    public String toString() {
        return name + " (" + netns + ", " + underlayIp + ")";
    }
}
