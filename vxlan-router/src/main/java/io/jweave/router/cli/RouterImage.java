package io.jweave.router.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The router image {@code jweave/router:<version>}, built without any registry: a {@code jlink}ed
 * Java 17 runtime with the modules the router needs, the router's jars, and the shared libraries
 * that java, jnr-ffi (libc), Netty's epoll transport ({@code ldd}) and pcap4j (libpcap, for
 * {@code jweave capture}) load, packed as a
 * {@code docker save} archive (one layer) and loaded into dockerd through the Engine API.
 *
 * <p>Layout (the same as {@code packaging/Dockerfile} on eclipse-temurin:17-jre): the runtime at
 * {@code /opt/java/openjdk}, the jars at {@code /opt/jweave/lib}, entrypoint = the router in the
 * foreground with the JVM flags of {@code packaging/jvm.options}. Unlike the Dockerfile's image it
 * also carries a class-data-sharing archive of the router's classes, {@value #CDS_ARCHIVE}, made at
 * build time by a training start with the image's runtime and jars ({@link ClassDataArchive}), and
 * lists the jars on the class path in name order. The archive is cached under
 * {@code JWEAVE_HOME/target/image/}, keyed by a hash of what goes in (JDK, flags, modules, and each
 * jar's name, size and modification time); the image carries
 * that key as the label {@value #CONTENT_LABEL}, so a rebuilt router gives a new image.
 */
final class RouterImage {
    static final String REPOSITORY = "jweave/router";
    static final String CONTENT_LABEL = "io.jweave.image.content";
    static final String JAVA_HOME = "/opt/java/openjdk";
    static final String APP_LIB = "/opt/jweave/lib";
    /** The class-data-sharing archive of the offline image, made at build time ({@link ClassDataArchive}). */
    static final String CDS_ARCHIVE = "/opt/jweave/router.jsa";
    /** The modules of the runtime: java.se (the JVM flags add it), and what jdeps finds beyond it. */
    static final List<String> MODULES = List.of("java.se", "jdk.unsupported", "jdk.management", "jdk.net",
            "jdk.jfr", "jdk.crypto.ec", "jdk.zipfs");
    private static final List<String> DESKTOP_NATIVES = List.of("libawt.so", "libawt_headless.so", "libawt_xawt.so",
            "libfontmanager.so", "libjavajpeg.so", "libjawt.so", "liblcms.so", "libmlib_image.so", "libsplashscreen.so",
            "libjsound.so");
    private static final int FORMAT_VERSION = 5; // bump when the layout below changes
    private static final Pattern LDD_PATH = Pattern.compile("(/\\S+)\\s+\\(0x");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A built archive: where it is, its image name and content key. */
    record Archive(Path tar, String name, String contentKey) {
    }

    private RouterImage() {
    }

    /** {@code jweave/router:<version>}. */
    static String name() {
        return REPOSITORY + ":" + VersionCommand.version();
    }

    static Path home() {
        String home = System.getenv("JWEAVE_HOME");
        if (home == null || home.isEmpty()) {
            throw new IllegalStateException("JWEAVE_HOME is not set: build the image through ./jweave");
        }
        return Path.of(home);
    }

    /** The JVM flags from {@code packaging/jvm.options} (comments and blank lines dropped). */
    static List<String> jvmOptions(Path optionsFile) {
        try {
            return Files.readAllLines(optionsFile).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the JVM options " + optionsFile, e);
        }
    }

    /**
     * The entrypoint of packaging/Dockerfile: java with the router's flags, the jars by wildcard,
     * the router in the foreground (no class-data archive: see the Dockerfile).
     */
    static List<String> entrypoint(List<String> jvmOptions) {
        List<String> e = new ArrayList<>();
        e.add(JAVA_HOME + "/bin/java");
        e.addAll(jvmOptions);
        e.addAll(List.of("-cp", APP_LIB + "/*", Main.class.getName(), "launch", "--foreground"));
        return e;
    }

    /**
     * The offline image's entrypoint: as {@link #entrypoint(List)}, but with the jars listed in name
     * order (a class-data archive only matches the class path it was made with, and the order in
     * which the JVM expands a wildcard is the directory's, which differs between the build directory
     * and the container) and, when the build made one, the class-data archive.
     */
    static List<String> imageEntrypoint(List<String> jvmOptions, String classPath, boolean withArchive) {
        List<String> e = new ArrayList<>();
        e.add(JAVA_HOME + "/bin/java");
        e.addAll(jvmOptions);
        if (withArchive) {
            e.add("-XX:SharedArchiveFile=" + CDS_ARCHIVE);
        }
        e.addAll(List.of("-cp", classPath, Main.class.getName(), "launch", "--foreground"));
        return e;
    }

    /** The image's class path: each jar under {@link #APP_LIB}, in name order. */
    static String imageClassPath(List<Path> jars) {
        return String.join(":", jars.stream().map(j -> APP_LIB + "/" + j.getFileName()).sorted().toList());
    }

    /** The jars this CLI runs from (the router's jar and its dependencies). */
    static List<Path> classpathJars() {
        List<Path> jars = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.endsWith(".jar") && Files.isRegularFile(p)) {
                jars.add(p);
            }
        }
        if (jars.stream().noneMatch(p -> p.getFileName().toString().startsWith("jweave-vxlan-router"))) {
            throw new IllegalStateException("the router jar is not on the class path; build the image through ./jweave");
        }
        return jars;
    }

    /** The cached archive for the current jars and JDK, building it when missing. */
    static Archive build(boolean verbose) {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path jmods = javaHome.resolve("jmods");
        if (!Files.isDirectory(jmods)) {
            throw new IllegalStateException("jlink needs the JDK's jmods, but " + jmods
                    + " does not exist (Debian: apt-get install openjdk-17-jdk-headless)");
        }
        Path home = home();
        List<String> jvmOptions = jvmOptions(home.resolve("packaging/jvm.options"));
        List<Path> jars = classpathJars();
        String key = contentKey(javaHome, jvmOptions, jars);
        Path dir = home.resolve("target/image");
        Path tar = dir.resolve("jweave-router-" + key + ".tar");
        Archive archive = new Archive(tar, name(), key);
        if (Files.isRegularFile(tar)) {
            return archive;
        }
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(dir);
            Path work = Files.createTempDirectory(dir, "build-");
            try {
                Path rootfs = work.resolve("rootfs");
                populate(rootfs, javaHome, jars);
                boolean cds = makeClassDataArchive(rootfs, jvmOptions, imageClassPath(jars), verbose);
                Path out = work.resolve("out");
                Files.createDirectories(out.resolve("layer"));
                Path layer = out.resolve("layer/layer.tar");
                run(List.of("tar", "--numeric-owner", "--owner=0", "--group=0", "--sort=name", "--mtime=@0",
                        "-C", rootfs.toString(), "-cf", layer.toString(), "."));
                String diffId = "sha256:" + sha256(layer);
                byte[] config = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config(imageEntrypoint(jvmOptions, imageClassPath(jars), cds), key, diffId));
                String configName = sha256(config) + ".json";
                Files.write(out.resolve(configName), config);
                ArrayNode manifest = JSON.createArrayNode();
                ObjectNode m = manifest.addObject();
                m.put("Config", configName);
                m.putArray("RepoTags").add(name());
                m.putArray("Layers").add("layer/layer.tar");
                Files.write(out.resolve("manifest.json"), JSON.writeValueAsBytes(manifest));
                Path tmpTar = work.resolve("image.tar");
                run(List.of("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", out.toString(), "-cf",
                        tmpTar.toString(), "manifest.json", configName, "layer"));
                // atomic: a parallel build of the same key produces the same content
                Files.move(tmpTar, tar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                pruneOlderArchives(dir, tar);
            } finally {
                deleteTree(work);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the router image under " + dir + ": " + e.getMessage(), e);
        }
        if (verbose) {
            System.err.printf("built %s (%s) in %.1f s%n", tar, name(), (System.nanoTime() - t0) / 1e9);
        }
        return archive;
    }

    /** Keeps only the newest archive: each is ~120 MB and an older one is never used again. */
    private static void pruneOlderArchives(Path dir, Path keep) {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("jweave-router-[0-9a-f]{16}\\.tar")
                    && !p.equals(keep)).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort: the cache directory is under target/
        }
    }

    /**
     * Makes the image's class-data archive: a training start of the router with the image's own
     * runtime and jars, chrooted into the image's root file system so that their paths are the
     * ones the container has. Needs root (a network namespace, mounts); when it fails the image is
     * built without an archive (the router then starts slower) and the reason is printed.
     */
    private static boolean makeClassDataArchive(Path rootfs, List<String> jvmOptions, String classPath, boolean verbose) {
        try {
            // the layer stores every file with modification time 0, and the JVM compares the jars' times
            try (Stream<Path> files = Files.walk(rootfs)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(0));
                }
            }
            ClassDataArchive.train(new ClassDataArchive.Training(JAVA_HOME + "/bin/java", jvmOptions, classPath, rootfs,
                    rootfs.resolve(CDS_ARCHIVE.substring(1))), verbose);
            deleteTree(rootfs.resolve("tmp/hsperfdata_root")); // the training JVM's performance counters
            return true;
        } catch (RuntimeException | IOException e) {
            System.err.println("jweave image: building the image without a class-data archive (the router will start"
                    + " slower): " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            return false;
        }
    }

    private static ObjectNode config(List<String> entrypoint, String key, String diffId) {
        ObjectNode c = JSON.createObjectNode();
        c.put("architecture", "amd64");
        c.put("os", "linux");
        c.put("created", "1970-01-01T00:00:00Z");
        ObjectNode cfg = c.putObject("config");
        ArrayNode env = cfg.putArray("Env");
        env.add("PATH=" + JAVA_HOME + "/bin:/usr/bin:/bin");
        env.add("JAVA_HOME=" + JAVA_HOME);
        env.add(StopMarker.IN_CONTAINER_ENV + "=1");
        ArrayNode ep = cfg.putArray("Entrypoint");
        entrypoint.forEach(ep::add);
        cfg.put("WorkingDir", "/");
        ObjectNode labels = cfg.putObject("Labels");
        labels.put("io.jweave.version", VersionCommand.version());
        labels.put(CONTENT_LABEL, key);
        ObjectNode rootfs = c.putObject("rootfs");
        rootfs.put("type", "layers");
        rootfs.putArray("diff_ids").add(diffId);
        c.putArray("history").addObject().put("created_by", "jweave image (jlink runtime + router jars + class-data archive)");
        return c;
    }

    private static void populate(Path rootfs, Path javaHome, List<Path> jars) throws IOException {
        for (String d : List.of("etc", "proc", "sys", "dev", "run", "var/lib", "root", "opt/jweave/lib")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Path tmp = Files.createDirectories(rootfs.resolve("tmp"));
        run(List.of("chmod", "1777", tmp.toString()));
        Path runtime = rootfs.resolve(JAVA_HOME.substring(1));
        Files.createDirectories(runtime.getParent());
        run(List.of(javaHome.resolve("bin/jlink").toString(), "--module-path", javaHome.resolve("jmods").toString(),
                "--add-modules", String.join(",", MODULES), "--output", runtime.toString(),
                "--strip-debug", "--no-header-files", "--no-man-pages", "--compress=2", "--generate-cds-archive"));
        // The router never draws or plays sound: drop the desktop module's native libraries (and with
        // them X11, freetype, alsa...), and the CDS archive for heaps above 32 GB (the heap is 128 MB).
        for (String unused : DESKTOP_NATIVES) {
            Files.deleteIfExists(runtime.resolve("lib").resolve(unused));
        }
        Files.deleteIfExists(runtime.resolve("lib/server/classes_nocoops.jsa"));
        stripIfPossible(runtime.resolve("lib/server/libjvm.so"));
        for (Path jar : jars) {
            Files.copy(jar, rootfs.resolve(APP_LIB.substring(1)).resolve(jar.getFileName()));
        }
        // Shared libraries: those of the runtime, of the native code inside the jars (jffi, Netty
        // epoll), and libc itself, which jnr-ffi opens by name.
        Set<String> libs = new LinkedHashSet<>();
        List<Path> elfs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(runtime)) {
            files.filter(p -> Files.isRegularFile(p) && (p.toString().endsWith(".so") || p.getParent().endsWith("bin")))
                    .forEach(elfs::add);
        }
        Path natives = Files.createTempDirectory(rootfs.getParent(), "natives-");
        for (Path jar : jars) {
            elfs.addAll(nativeLibs(jar, natives));
        }
        for (Path elf : elfs) {
            // the runtime's own libraries (libjli, libjvm) are already in place
            ldd(elf).stream().filter(l -> !l.startsWith(rootfs.getParent().toString())).forEach(libs::add);
        }
        libs.add(findLibc());
        // libpcap, which pcap4j opens by name through JNA for `jweave capture` (nothing links it, so ldd
        // above cannot find it): the library and what it needs (libdbus, libsystemd, ...).
        Path pcap = io.jweave.capture.Libpcap.find(io.jweave.capture.Libpcap.DIRS).orElseThrow(() -> new IllegalStateException(
                "libpcap is not installed on this machine, and the router image needs it for jweave capture:"
                        + " apt-get install libpcap0.8"));
        libs.add(pcap.toString());
        ldd(pcap).forEach(libs::add);
        deleteTree(natives);
        for (String lib : libs) {
            Path target = rootfs.resolve(lib.substring(1));
            Files.createDirectories(target.getParent());
            Files.copy(Path.of(lib).toRealPath(), target, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.COPY_ATTRIBUTES);
        }
        Files.writeString(rootfs.resolve("etc/passwd"),
                "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        Files.writeString(rootfs.resolve("etc/nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
    }

    /** Removes symbols from a shared library when binutils' strip is installed (libjvm: about half its size). */
    private static void stripIfPossible(Path lib) {
        if (Files.isExecutable(Path.of("/usr/bin/strip"))) {
            run(List.of("/usr/bin/strip", "--strip-unneeded", lib.toString()));
        }
    }

    /** Linux x86-64 native libraries packed in a jar, extracted under {@code dir}. */
    private static List<Path> nativeLibs(Path jar, Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                String n = e.getName();
                boolean linux64 = n.contains("x86_64-Linux/") || n.contains("linux-x86_64") || n.contains("x86_64.so");
                if (!e.isDirectory() && n.endsWith(".so") && linux64) {
                    Path t = dir.resolve(out.size() + "-" + Path.of(n).getFileName());
                    try (InputStream in = z.getInputStream(e)) {
                        Files.copy(in, t);
                    }
                    out.add(t);
                }
            }
        }
        return out;
    }

    private static String findLibc() {
        for (String p : List.of("/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6")) {
            if (Files.exists(Path.of(p))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find libc.so.6 on this machine");
    }

    private static List<String> ldd(Path elf) {
        String out = run(List.of("ldd", elf.toString()));
        List<String> libs = new ArrayList<>();
        Matcher m = LDD_PATH.matcher(out);
        while (m.find()) {
            libs.add(m.group(1));
        }
        return libs;
    }

    private static String contentKey(Path javaHome, List<String> jvmOptions, List<Path> jars) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(("format " + FORMAT_VERSION + "\nmodules " + MODULES + "\nopts " + jvmOptions + "\njdk "
                    + javaHome + " " + System.getProperty("java.runtime.version") + "\nversion "
                    + VersionCommand.version() + "\n").getBytes(StandardCharsets.UTF_8));
            // name, size and modification time of each jar: a rebuilt jar is a new image, and
            // launch does not read 50 MB to find out
            for (Path jar : jars.stream().sorted(Comparator.comparing(p -> p.getFileName().toString())).toList()) {
                md.update((jar.getFileName() + " " + Files.size(jar) + " " + Files.getLastModifiedTime(jar).toMillis()
                        + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a build tool; throws with its output when it fails. */
    private static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(cmd.get(0) + " failed: " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + cmd.get(0));
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp directory under target/
        }
    }

    // ---------------------------------------------------------------- in dockerd

    /** The content key of the image {@code name} in dockerd, "" for an image without one, empty if absent. */
    static Optional<String> loadedKey(DockerClient docker, String name) {
        try {
            InspectImageResponse r = docker.inspectImageCmd(name).exec();
            Map<String, String> labels = r.getConfig() == null ? null : r.getConfig().getLabels();
            return Optional.of(labels == null ? "" : labels.getOrDefault(CONTENT_LABEL, ""));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Makes sure dockerd has the router image: loads the offline build when the image is missing or
     * is an older offline build; an image without the content label (built from packaging/Dockerfile
     * or pulled) is used as it is. Returns the image's size in bytes.
     */
    static long ensureLoaded(DockerClient docker, boolean verbose) {
        String name = name();
        Optional<String> have = loadedKey(docker, name);
        if (have.isPresent() && have.get().isEmpty()) {
            return size(docker, name);
        }
        Archive a = build(verbose);
        if (have.isEmpty() || !have.get().equals(a.contentKey())) {
            try (InputStream in = Files.newInputStream(a.tar())) {
                docker.loadImageCmd(in).exec();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + a.tar(), e);
            }
            String now = loadedKey(docker, name).orElseThrow(() ->
                    new IllegalStateException("dockerd did not list " + name + " after loading " + a.tar()));
            if (!now.equals(a.contentKey())) {
                throw new IllegalStateException("dockerd has " + name + " with content " + now + " after loading "
                        + a.contentKey());
            }
            if (verbose) {
                System.err.println("loaded " + name + " into dockerd");
            }
        }
        return size(docker, name);
    }

    static long size(DockerClient docker, String name) {
        Long s = docker.inspectImageCmd(name).exec().getSize();
        return s == null ? -1 : s;
    }
}
