package io.jweave.router.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.NetNs;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training start makes a class-data archive, and a JVM started with it takes the router's
 * classes from it (not from the jars); one made for another class path is ignored, not fatal.
 * Starts a real router in a throwaway network namespace: needs root.
 */
class ClassDataArchiveTest {
    private static final Path PACKAGING = Path.of(System.getProperty("basedir", "."), "..", "packaging").normalize();

    @TempDir
    Path dir;

    /**
     * The class path of this test JVM with the modules' class directories packed as jars (class-data
     * sharing takes classes from jars only, as the router runs), test classes left out.
     */
    private String classPath() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path jars = Files.createDirectories(dir.resolve("jars"));
        List<String> out = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.isBlank() || !Files.exists(p) || p.endsWith("test-classes")) {
                continue;
            }
            if (Files.isDirectory(p)) {
                Path jar = jars.resolve(out.size() + "-" + p.getParent().getParent().getFileName() + ".jar");
                try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(p)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        j.putNextEntry(new JarEntry(p.relativize(f).toString().replace(File.separatorChar, '/')));
                        Files.copy(f, j);
                        j.closeEntry();
                    }
                }
                out.add(jar.toString());
            } else {
                out.add(e);
            }
        }
        return String.join(File.pathSeparator, out);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Runs {@code Main version} with the router's flags plus {@code extra}, logging class loading. */
    private static String versionWithClassLog(List<String> opts, String cp, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(opts);
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("-Xlog:class+load=info", "-cp", cp, Main.class.getName(), "version"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "java version did not exit");
        assertTrue(p.exitValue() == 0, "java version failed:\n" + out);
        return out;
    }

    @Test
    void trainingMakesAnArchiveThatTheRouterJvmMaps() throws Exception {
        List<String> opts = RouterImage.jvmOptions(PACKAGING.resolve("jvm.options"));
        String cp = classPath();
        Path out = Files.createDirectories(dir.resolve("out"));
        Path archive = out.resolve("router.jsa");
        long size = ClassDataArchive.train(new ClassDataArchive.Training(java(), opts, cp, null, archive), false);
        assertTrue(size > 1 << 20 && Files.size(archive) == size, "archive of " + size + " bytes");
        assertFalse(NetNs.exists("jwt-cds-" + ProcessHandle.current().pid()), "training namespace removed");
        try (Stream<Path> left = Files.list(out)) {
            assertTrue(left.allMatch(archive::equals), "only the archive is left in " + out);
        }

        String with = versionWithClassLog(opts, cp, "-XX:SharedArchiveFile=" + archive);
        // the CLI's own classes come from the archive (picocli's do not: CDS skips pre-Java-6 class files)
        assertTrue(with.contains(Main.class.getName() + " source: shared objects file (top)"), with);
        assertTrue(with.contains(VersionCommand.class.getName() + " source: shared objects file (top)"), with);

        // another class path (the same jars in another order): the JVM refuses the archive and runs on
        String[] entries = cp.split(File.pathSeparator);
        List<String> reversed = new ArrayList<>(List.of(entries));
        java.util.Collections.reverse(reversed);
        String other = versionWithClassLog(opts, String.join(File.pathSeparator, reversed), "-XX:SharedArchiveFile=" + archive);
        assertFalse(other.contains("source: shared objects file (top)"), "archive used with another class path");
        assertTrue(other.contains("jweave "), other);
    }
}
