package io.jweave.router.cli;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PropagationMode;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.SELContext;
import com.github.dockerjava.api.model.Volume;
import io.jweave.netlink.sys.Sys;
import io.jweave.router.RouterConfig;
import io.jweave.router.docker.DockerEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The router as the container {@value #NAME} of the local dockerd (docs/operations.md, "Container
 * mode"): host network, NET_ADMIN + SYS_ADMIN, the data directory shared (rshared) so the
 * per-network namespaces it bind-mounts there live on the host and outlive the container, the
 * plugin directory, the Docker socket and Docker's sandbox directory; restart policy {@code always}.
 */
final class RouterContainer {
    static final String NAME = "jweave-router";
    static final String ROLE_LABEL = "io.jweave.role";
    private static final long READY_TIMEOUT_MS = 90_000;
    private static final int STOP_TIMEOUT_S = 30;

    private RouterContainer() {
    }

    /** The router container, if dockerd has one. */
    static Optional<InspectContainerResponse> find(DockerClient docker) {
        try {
            return Optional.of(docker.inspectContainerCmd(NAME).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    static boolean running(InspectContainerResponse c) {
        return c.getState() != null && Boolean.TRUE.equals(c.getState().getRunning());
    }

    /**
     * Starts the router container with {@code args} (the launch options) and waits until the
     * plugin answers. On failure prints the container's last log lines, removes it and throws.
     */
    static int launch(RouterConfig cfg, List<String> args, Path sandboxDir) throws Exception {
        Optional<ProcessHandle> proc = Background.running(cfg.dataDir());
        if (proc.isPresent()) {
            System.out.println("a jweave router process (pid " + proc.get().pid() + ") already runs for "
                    + cfg.dataDir() + "; stop it with `jweave stop` before launching the container");
            return 0;
        }
        try (DockerEngine engine = new DockerEngine(cfg.dockerHost())) {
            if (!engine.ping()) {
                throw new IllegalStateException("dockerd does not answer at " + cfg.dockerHost()
                        + " (the router container needs it; --docker-host, or --foreground to run without it)");
            }
            DockerClient docker = engine.client();
            Optional<InspectContainerResponse> existing = find(docker);
            if (existing.isPresent() && running(existing.get())) {
                System.out.println("jweave router already running in container " + NAME + " (image "
                        + existing.get().getConfig().getImage() + "), plugin at " + cfg.pluginSocket()
                        + "; to change its options: jweave stop, then jweave launch");
                return 0;
            }
            if (existing.isEmpty() && PluginProbe.answers(cfg.pluginSocket())) {
                System.out.println("a jweave router already answers at " + cfg.pluginSocket() + "; nothing to do");
                return 0;
            }
            existing.ifPresent(c -> remove(docker, c.getId()));
            Files.deleteIfExists(StopMarker.file(cfg.dataDir()));
            long size = RouterImage.ensureLoaded(docker, false);
            String image = RouterImage.name();
            Files.createDirectories(cfg.dataDir());
            Path secret = passwordFile(cfg.dataDir());
            if (cfg.hasPassword()) {
                // the router reads its copy: not on the command line, in docker inspect or the environment
                writeSecret(secret, cfg.password().bytes());
                cfg.password().clear();
                args = new ArrayList<>(args);
                args.add(0, "--password-file=" + secret);
            } else {
                Files.deleteIfExists(secret); // left by an earlier launch with a password
            }
            try {
                return startContainer(docker, cfg, args, sandboxDir, size, image);
            } catch (Exception | Error e) {
                Files.deleteIfExists(secret);
                throw e;
            }
        }
    }

    /**
     * The image's entrypoint with the full tiered compiler instead of C1 alone (packaging/jvm.options): a
     * router's tunnel encrypts every packet between hosts with a password, and a peer's packets when the kernel
     * path to it fails without one; AES-GCM is fast only once C2 compiles it (measured 0.17 vs 1.27 Gbit/s). Null when the entrypoint is not the expected java command line.
     */
    static List<String> fullCompiler(String[] entrypoint) {
        if (entrypoint == null || entrypoint.length == 0) {
            return null;
        }
        List<String> out = new ArrayList<>(List.of(entrypoint));
        int i = out.indexOf("-XX:TieredStopAtLevel=1");
        if (i < 0) {
            return null; // nothing to change
        }
        out.set(i, "-XX:TieredStopAtLevel=4");
        return out;
    }

    private static int startContainer(DockerClient docker, RouterConfig cfg, List<String> args, Path sandboxDir, long size,
                                      String image) throws Exception {
        Files.createDirectories(cfg.pluginSocket().getParent());
        Files.createDirectories(sandboxDir);
        // The per-network namespaces are bind mounts under DATA-DIR/netns made inside the
        // container: they reach the host (and outlive the container) only through a shared mount.
        SharedMounts.ensureShared(cfg.dataDir());
        SharedMounts.ensureShared(sandboxDir);
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode("host")
                // NET_RAW (in Docker's defaults too): the packet socket of jweave capture
                .withCapAdd(Capability.NET_ADMIN, Capability.SYS_ADMIN, Capability.NET_RAW)
                .withSecurityOpts(List.of("apparmor=unconfined"))
                .withRestartPolicy(RestartPolicy.alwaysRestart())
                .withBinds(binds(cfg, sandboxDir));
        // the tunnel's TUN device: every packet between hosts with a password, a peer's packets when the
        // kernel path to it fails without one
        host.withDevices(List.of(new com.github.dockerjava.api.model.Device("rwm", "/dev/net/tun", "/dev/net/tun")));
        var create = docker.createContainerCmd(image).withName(NAME);
        List<String> entrypoint = fullCompiler(docker.inspectImageCmd(image).exec().getConfig().getEntrypoint());
        if (entrypoint != null) {
            create.withEntrypoint(entrypoint);
        }
        String id = create
                .withCmd(args)
                .withLabels(Map.of(ROLE_LABEL, "router", "io.jweave.data-dir", cfg.dataDir().toString(),
                        "io.jweave.plugin-socket", cfg.pluginSocket().toString()))
                .withStopTimeout(STOP_TIMEOUT_S)
                .withHostConfig(host)
                .exec().getId();
        long t0 = System.nanoTime();
        docker.startContainerCmd(id).exec();
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            InspectContainerResponse c = docker.inspectContainerCmd(id).exec();
            Integer restarts = c.getRestartCount();
            if (!running(c) || (restarts != null && restarts > 0)) {
                String logs = logs(docker, id, 20);
                remove(docker, id);
                throw new IllegalStateException("the router container exited (status "
                        + c.getState().getExitCodeLong() + "); its last log lines:\n" + logs);
            }
            if (PluginProbe.answers(cfg.pluginSocket())) {
                System.out.printf("jweave router %s started in container %s (%s, %s, ready in %.1f s), plugin at %s,"
                                + " data %s; logs: docker logs %s%n", cfg.name(), NAME, image,
                        ImageCommand.mb(size), (System.nanoTime() - t0) / 1e9, cfg.pluginSocket(), cfg.dataDir(), NAME);
                if (Boolean.FALSE.equals(liveRestore(cfg.dockerHost()))) {
                    System.out.println("note: dockerd runs without live-restore: a dockerd restart stops the router with"
                            + " the containers and stalls ~15 s per jweave network at its start; set \"live-restore\":"
                            + " true in daemon.json (docs/operations.md, dockerd restarts and reboots)");
                }
                return 0;
            }
            Thread.sleep(100);
        }
        String logs = logs(docker, id, 20);
        remove(docker, id);
        throw new IllegalStateException("the router container did not answer at " + cfg.pluginSocket() + " within "
                + READY_TIMEOUT_MS / 1000 + " s; its last log lines:\n" + logs);
    }

    /** The router container's copy of the mesh password: {@code DATA-DIR/password}. */
    static Path passwordFile(Path dataDir) {
        return dataDir.resolve("password");
    }

    /**
     * Writes {@code secret} to {@code file} with mode 0600 from its creation on: a temporary file in
     * the same directory, made 0600 by open(2) itself (never readable by others, not even briefly),
     * written and synced, then renamed over {@code file}. The caller's array is overwritten.
     */
    static void writeSecret(Path file, byte[] secret) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + "-", ".tmp",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(secret);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            java.util.Arrays.fill(secret, (byte) 0);
            Files.deleteIfExists(tmp);
        }
        try (java.nio.channels.FileChannel d = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            d.force(true); // the rename survives a crash: the container restarts from it after a reboot
        } catch (IOException e) {
            // not every file system syncs a directory; the file is written either way
        }
    }

    /** dockerd's LiveRestoreEnabled ({@code GET /info}; docker-java's Info lacks it), null if unknown. */
    static Boolean liveRestore(String dockerHost) {
        if (!dockerHost.startsWith("unix://")) {
            return null;
        }
        try {
            io.jweave.router.status.UnixHttp.Response r = io.jweave.router.status.UnixHttp.request(
                    Path.of(dockerHost.substring("unix://".length())), "GET", "/info");
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(dechunk(r.body())).get("LiveRestoreEnabled");
            return r.ok() && n != null ? n.asBoolean() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The body of a {@code Transfer-Encoding: chunked} answer (dockerd's /info), or the body as it is. */
    static String dechunk(String body) {
        if (body.startsWith("{")) {
            return body;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < body.length()) {
            int eol = body.indexOf("\r\n", i);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(body.substring(i, eol).trim().split(";")[0], 16);
            if (size == 0) {
                break;
            }
            out.append(body, eol + 2, Math.min(body.length(), eol + 2 + size));
            i = eol + 2 + size + 2;
        }
        return out.toString();
    }

    private static List<Bind> binds(RouterConfig cfg, Path sandboxDir) {
        List<Bind> b = new ArrayList<>();
        Path pluginDir = cfg.pluginSocket().getParent();
        b.add(bind(pluginDir, PropagationMode.DEFAULT_MODE));
        b.add(bind(cfg.dataDir(), PropagationMode.RSHARED));
        // containers' network namespaces (Join's SandboxKey); rslave: sandboxes made later appear too
        b.add(bind(sandboxDir, PropagationMode.RSLAVE));
        String dh = cfg.dockerHost();
        if (dh.startsWith("unix://")) {
            Path sock = Path.of(dh.substring("unix://".length()));
            if (!sock.startsWith(pluginDir)) {
                b.add(bind(sock, PropagationMode.DEFAULT_MODE));
            }
        }
        return b;
    }

    private static Bind bind(Path p, PropagationMode mode) {
        String s = p.toAbsolutePath().toString();
        return new Bind(s, new Volume(s), AccessMode.rw, SELContext.none, null, mode);
    }

    /**
     * Stops and removes the router container (the router removes its plugin socket on SIGTERM; the
     * socket file is removed here too). Returns false when there is no such container.
     */
    static boolean stop(DockerClient docker) throws IOException {
        Optional<InspectContainerResponse> c = find(docker);
        if (c.isEmpty()) {
            return false;
        }
        String socket = c.get().getConfig().getLabels() == null ? null
                : c.get().getConfig().getLabels().get("io.jweave.plugin-socket");
        if (running(c.get())) {
            String dataDir = c.get().getConfig().getLabels() == null ? null
                    : c.get().getConfig().getLabels().get("io.jweave.data-dir");
            if (dataDir != null && Files.isDirectory(Path.of(dataDir))) {
                StopMarker.write(Path.of(dataDir)); // exit at once, do not wait for endpoints
            }
            try {
                docker.stopContainerCmd(c.get().getId()).withTimeout(STOP_TIMEOUT_S).exec();
            } catch (NotModifiedException e) {
                // stopped in the meantime
            }
        }
        remove(docker, c.get().getId());
        if (socket != null) {
            Files.deleteIfExists(Path.of(socket));
        }
        String dataDir = c.get().getConfig().getLabels() == null ? null
                : c.get().getConfig().getLabels().get("io.jweave.data-dir");
        boolean secret = dataDir != null && Files.deleteIfExists(passwordFile(Path.of(dataDir)));
        System.out.println("jweave router container " + NAME + " stopped and removed"
                + (socket == null ? "" : "; plugin socket " + socket + " removed")
                + (secret ? "; password copy " + passwordFile(Path.of(dataDir)) + " removed" : "")
                + " (networks and containers stay)");
        return true;
    }

    private static void remove(DockerClient docker, String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).exec();
        } catch (NotFoundException e) {
            // already gone
        }
    }

    /** The last {@code lines} lines of the container's output. */
    static String logs(DockerClient docker, String id, int lines) {
        StringBuilder sb = new StringBuilder();
        try {
            docker.logContainerCmd(id).withStdOut(true).withStdErr(true).withTail(lines)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame f) {
                            sb.append(new String(f.getPayload(), StandardCharsets.UTF_8));
                        }
                    }).awaitCompletion(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            sb.append("(cannot read the container's log: ").append(e.getMessage()).append(")");
        }
        return sb.toString().stripTrailing();
    }

    /** Mount propagation on the CLI's (the host's) side. */
    static final class SharedMounts {
        private SharedMounts() {
        }

        /**
         * Makes {@code dir} part of a shared mount, as {@code ip netns} does for /run/netns: Docker
         * refuses an {@code rshared} bind of a directory on a private mount, and mounts made in the
         * container reach the host only through a shared one. On systemd hosts / is already shared
         * and nothing is done.
         */
        static void ensureShared(Path dir) {
            String d;
            try {
                d = dir.toRealPath().toString(); // /var/run/docker/netns is /run/docker/netns in mountinfo
            } catch (IOException e) {
                throw new UncheckedIOException("cannot resolve " + dir, e);
            }
            MountInfo m = MountInfo.containing(d);
            if (m.shared()) {
                return;
            }
            if (!m.mountPoint().equals(d)) {
                Sys.check(Sys.libc().mount(d, d, "none", Sys.MS_BIND | Sys.MS_REC, null), "bind-mount " + d + " on itself");
            }
            Sys.check(Sys.libc().mount("", d, "none", Sys.MS_SHARED | Sys.MS_REC, null), "make " + d + " a shared mount");
        }
    }

    /** One line of /proc/self/mountinfo: mount point and whether it is in a shared peer group. */
    record MountInfo(String mountPoint, boolean shared) {
        static MountInfo containing(String path) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
            }
            MountInfo best = new MountInfo("/", false);
            int bestLen = -1;
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f.length < 7) {
                    continue;
                }
                String mp = f[4].replace("\\040", " ");
                boolean contains = path.equals(mp) || mp.equals("/") || path.startsWith(mp + "/");
                // later lines mount over earlier ones at the same point
                if (contains && mp.length() >= bestLen) {
                    boolean shared = false;
                    for (int i = 6; i < f.length && !f[i].equals("-"); i++) {
                        shared |= f[i].startsWith("shared:");
                    }
                    best = new MountInfo(mp, shared);
                    bestLen = mp.length();
                }
            }
            return best;
        }
    }
}
