package io.jweave.it.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The container image of the test bed, made without a registry: a root file system with
 * busybox-static (every applet linked) and dynamically linked tools (iperf3 always, others such as
 * {@code /usr/bin/dig} on request) together with the libraries {@code ldd} lists. The tarball is built once per set of
 * inputs and cached under {@code integration/target/testbed-image/}, keyed by a hash of the files
 * that go in; it is then {@code docker import}ed into each simulated host.
 */
public final class TestImage {

    /** The image name every simulated host has after start. */
    public static final String NAME = "jweave-test/busybox:latest";

    private static final String BUSYBOX = "/usr/bin/busybox";
    private static final List<String> REQUIRED_TOOLS = List.of("/usr/bin/iperf3");
    private static final Pattern LDD_PATH = Pattern.compile("(/\\S+)\\s+\\(0x");
    private static final int FORMAT_VERSION = 1; // bump when the layout below changes

    private TestImage() {
    }

    /** Directory for the cached tarball: the module's target directory. */
    static Path cacheDir() {
        String basedir = System.getProperty("basedir", System.getProperty("user.dir"));
        return Path.of(basedir, "target", "testbed-image");
    }

    /** Returns the cached tarball for the current inputs, building it if needed. */
    public static Path tarball() {
        return tarball(List.of());
    }

    /**
     * Returns the cached tarball with busybox, iperf3 and the given extra tools (absolute paths of
     * installed binaries, e.g. {@code /usr/bin/dig}), building it if needed.
     */
    public static Path tarball(List<String> extraTools) {
        List<Path> tools = new ArrayList<>();
        List<String> wanted = new ArrayList<>(REQUIRED_TOOLS);
        wanted.addAll(extraTools);
        for (String t : wanted) {
            Path p = Path.of(t);
            if (!Files.isExecutable(p)) {
                throw new TestbedException(t + " is not installed; the test image needs it");
            }
            tools.add(p);
        }
        Path busybox = Path.of(BUSYBOX);
        if (!Files.isExecutable(busybox)) {
            throw new TestbedException(BUSYBOX + " is not installed (package busybox-static)");
        }
        Set<Path> libs = new LinkedHashSet<>();
        for (Path tool : tools) {
            libs.addAll(ldd(tool));
        }
        List<Path> inputs = new ArrayList<>();
        inputs.add(busybox);
        inputs.addAll(tools);
        inputs.addAll(libs);
        String key = hash(inputs);
        Path dir = cacheDir();
        Path tar = dir.resolve("busybox-" + key + ".tar");
        if (Files.isRegularFile(tar)) {
            return tar;
        }
        try {
            Files.createDirectories(dir);
            Path work = Files.createTempDirectory(dir, "build-");
            try {
                Path rootfs = work.resolve("rootfs");
                populate(rootfs, busybox, tools, libs);
                Path tmpTar = work.resolve("image.tar");
                Commands.runOk(Duration.ofMinutes(2), "tar", "--numeric-owner", "--owner=0", "--group=0",
                        "-C", rootfs.toString(), "-cf", tmpTar.toString(), ".");
                // atomic: a parallel build of the same key produces the same content
                Files.move(tmpTar, tar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Commands.run(Duration.ofMinutes(1), "rm", "-rf", work.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the test image under " + dir, e);
        }
        return tar;
    }

    private static void populate(Path rootfs, Path busybox, List<Path> tools, Set<Path> libs) throws IOException {
        for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "root", "var/run")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Path tmp = Files.createDirectories(rootfs.resolve("tmp"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        Commands.runOk(Duration.ofSeconds(10), "chmod", "1777", tmp.toString());
        copy(busybox, rootfs.resolve("bin/busybox"));
        Result list = Commands.runOk(Duration.ofSeconds(10), BUSYBOX, "--list-full");
        for (String applet : list.out().split("\n")) {
            applet = applet.strip();
            if (applet.isEmpty() || applet.equals("bin/busybox")) {
                continue;
            }
            Path link = rootfs.resolve(applet);
            Files.createDirectories(link.getParent());
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, Path.of("/bin/busybox"));
            }
        }
        for (Path tool : tools) {
            Path target = rootfs.resolve(tool.toString().substring(1));
            Files.deleteIfExists(target); // may be a busybox applet link of the same name
            copy(tool, target);
        }
        for (Path lib : libs) {
            copy(lib, rootfs.resolve(lib.toString().substring(1)));
        }
        Files.writeString(rootfs.resolve("etc/passwd"),
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        Files.writeString(rootfs.resolve("etc/nsswitch.conf"), "hosts: files dns\n");
    }

    /** Copies the file a path resolves to (following links) to {@code target}, keeping modes. */
    private static void copy(Path source, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Files.copy(source.toRealPath(), target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    }

    private static List<Path> ldd(Path binary) {
        Result r = Commands.runOk(Duration.ofSeconds(10), "ldd", binary.toString());
        List<Path> libs = new ArrayList<>();
        Matcher m = LDD_PATH.matcher(r.stdout());
        while (m.find()) {
            libs.add(Path.of(m.group(1)));
        }
        if (libs.isEmpty()) {
            throw new TestbedException("ldd listed no libraries for " + binary + ":\n" + r.stdout());
        }
        return libs;
    }

    private static String hash(List<Path> inputs) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(("format " + FORMAT_VERSION + "\n").getBytes());
            byte[] buf = new byte[65536];
            for (Path p : inputs) {
                md.update((p + "\n").getBytes());
                try (InputStream in = Files.newInputStream(p)) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        md.update(buf, 0, n);
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
