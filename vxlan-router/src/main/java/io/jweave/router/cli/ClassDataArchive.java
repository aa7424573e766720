package io.jweave.router.cli;

import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.LinkSpec;
import io.jweave.netlink.LinkType;
import io.jweave.netlink.NetNs;
import io.jweave.router.status.UnixHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The router's class-data-sharing archive (a dynamic AppCDS archive, Java 17): made by a training
 * run that starts the real router, {@code launch --foreground} in a JVM with
 * {@code -XX:ArchiveClassesAtExit}, inside a throwaway network namespace {@code jwt-cds-<pid>}
 * (a veth pair with 198.51.100.1/24 as the underlay, a Docker socket that does not exist: the router
 * starts without dockerd), waits until it is ready, asks its plugin socket what Docker asks first,
 * and stops it with SIGTERM, which makes the JVM write the archive. A router JVM started with
 * {@code -XX:SharedArchiveFile=ARCHIVE} then maps ~8,400 of the ~10,100 classes it loads instead of parsing
 * and verifying them from the jars (docs/benchmarks.md).
 *
 * <p>The archive is only valid for the same JVM (build and base archive), the same class path
 * string and jars of the same size and modification time; the JVM checks this and, with the default
 * {@code -Xshare:auto}, runs without it when anything differs.
 */
final class ClassDataArchive {
    static final String TRAINING_NAME = "cds-training";
    static final String UNDERLAY = "198.51.100.1";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);

    /**
     * One training run.
     *
     * @param java        the java launcher, as seen by the training JVM
     * @param jvmOptions  the router's JVM flags (packaging/jvm.options)
     * @param classPath   the class path exactly as the router will be started with it
     * @param chrootDir   when not null, the training JVM runs chrooted there (the image's root
     *                    file system), so that the runtime and jar paths are those of the image
     * @param archive     where the archive ends up (a host path)
     */
    record Training(String java, List<String> jvmOptions, String classPath, Path chrootDir, Path archive) {
    }

    private ClassDataArchive() {
    }

    /** Runs the training; returns the archive's size in bytes, or throws naming what went wrong. */
    static long train(Training t, boolean verbose) {
        long t0 = System.nanoTime();
        String ns = "jwt-cds-" + ProcessHandle.current().pid();
        // the work directory must be visible to the training JVM: inside the chroot when there is
        // one, else the system's temporary directory (a short path: the router binds its sockets
        // there, and a socket path has at most 107 bytes)
        Path work = null;
        Process p = null;
        try {
            if (t.chrootDir() != null) {
                work = Files.createTempDirectory(Files.createDirectories(t.chrootDir().resolve("tmp")), "jweave-cds-");
            } else {
                work = Files.createTempDirectory("jweave-cds-");
            }
            String inJvm = t.chrootDir() != null ? "/" + t.chrootDir().relativize(work) : work.toString();
            Path log = work.resolve("training.log");
            Path socket = work.resolve("plugin.sock");
            String dump = inJvm + "/router.jsa";
            try (NetNs netns = NetNs.create(ns); Handle h = Handle.open(netns)) {
                h.links().setUp("lo");
                h.links().add(new LinkSpec("ul0", new LinkType.Veth("ul1")));
                h.addresses().add("ul0", IpPrefix.parse(UNDERLAY + "/24"));
                h.links().setUp("ul0");
                h.links().setUp("ul1");
            }
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            if (t.chrootDir() != null) {
                // ip netns exec runs in a mount namespace of its own: these mounts go with it
                String r = t.chrootDir().toString();
                cmd.addAll(List.of("sh", "-c", "mount -t proc proc \"$0/proc\" && mount -t sysfs sysfs \"$0/sys\""
                        + " && mount --rbind /dev \"$0/dev\" && exec chroot \"$0\" \"$@\"", r));
            }
            cmd.add(t.java());
            cmd.addAll(t.jvmOptions());
            cmd.addAll(List.of("-XX:ArchiveClassesAtExit=" + dump, "-cp", t.classPath(), Main.class.getName(),
                    "launch", "--foreground", "--name", TRAINING_NAME, "--advertise-addr", UNDERLAY,
                    "--docker-host", "unix://" + inJvm + "/no-docker.sock", "--plugin-socket", inJvm + "/plugin.sock",
                    "--data-dir", inJvm + "/data", "--ipalloc-range", "100.64.0.0/16",
                    "--dns-upstream", "198.51.100.53", "--http-addr", "127.0.0.1:6784"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().remove(io.jweave.router.MeshPassword.ENV); // the training does not depend on the caller's shell
            p = pb.start();
            awaitReady(p, log, socket);
            // what Docker asks a plugin first (the answers themselves do not matter)
            for (String call : List.of("/Plugin.Activate", "/NetworkDriver.GetCapabilities", "/IpamDriver.GetCapabilities",
                    "/IpamDriver.GetDefaultAddressSpaces")) {
                UnixHttp.request(socket, "POST", call, "{}");
            }
            p.destroy(); // SIGTERM: the router stops, then the JVM writes the archive
            if (!p.waitFor(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("the training router did not exit within " + EXIT_TIMEOUT.toSeconds()
                        + " s of SIGTERM; log:\n" + Background.tail(log, 20));
            }
            Path made = work.resolve("router.jsa");
            if (!Files.isRegularFile(made) || Files.size(made) == 0) {
                throw new IllegalStateException("the training JVM (exit " + p.exitValue() + ") wrote no archive; log:\n"
                        + Background.tail(log, 20));
            }
            Files.createDirectories(t.archive().toAbsolutePath().getParent());
            Path tmp = t.archive().resolveSibling(t.archive().getFileName() + ".tmp");
            Files.move(made, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, t.archive(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            long size = Files.size(t.archive());
            if (verbose) {
                System.err.printf("class-data archive %s (%d MiB) made in %.1f s%n", t.archive(), size >> 20,
                        (System.nanoTime() - t0) / 1e9);
            }
            return size;
        } catch (IOException e) {
            throw new UncheckedIOException("class-data archive training: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the class-data archive training");
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (NetNs.exists(ns)) {
                NetNs.delete(ns);
            }
            if (work != null) {
                deleteTree(work);
            }
        }
    }

    private static void awaitReady(Process p, Path log, Path socket) throws IOException, InterruptedException {
        String line = "jweave router " + TRAINING_NAME + " ready";
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the training router exited with " + p.exitValue() + " before it was ready;"
                        + " log:\n" + Background.tail(log, 20));
            }
            if (Files.readString(log).contains(line) && PluginProbe.answers(socket)) {
                return;
            }
            Thread.sleep(20);
        }
        if (Files.readString(log).contains(line)) {
            throw new IllegalStateException("the training router says it is ready, but its plugin socket " + socket
                    + " did not answer within " + READY_TIMEOUT.toSeconds() + " s");
        }
        throw new IllegalStateException("the training router was not ready within " + READY_TIMEOUT.toSeconds()
                + " s; log:\n" + Background.tail(log, 20));
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
