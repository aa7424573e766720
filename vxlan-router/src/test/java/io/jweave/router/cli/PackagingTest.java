package io.jweave.router.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** packaging/Dockerfile (not buildable here: no registry) must start the router as the offline image does. */
class PackagingTest {
    private static final Path PACKAGING = Path.of(System.getProperty("basedir", "."), "..", "packaging").normalize();

    private static List<String> dockerfile() throws Exception {
        return Files.readAllLines(PACKAGING.resolve("Dockerfile"));
    }

    @Test
    void dockerfileEntrypointIsTheOfflineImagesEntrypoint() throws Exception {
        String line = dockerfile().stream().filter(l -> l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        String[] ep = new ObjectMapper().readValue(line.substring("ENTRYPOINT ".length()), String[].class);
        List<String> offline = RouterImage.entrypoint(RouterImage.jvmOptions(PACKAGING.resolve("jvm.options")));
        assertEquals(offline, Arrays.asList(ep));
        assertEquals(RouterImage.JAVA_HOME + "/bin/java", ep[0]);
    }

    @Test
    void offlineImageAddsOnlyTheClassDataArchiveAndAnOrderedClassPath() throws Exception {
        List<String> opts = RouterImage.jvmOptions(PACKAGING.resolve("jvm.options"));
        String cp = RouterImage.imageClassPath(List.of(Path.of("/x/lib/zstd.jar"), Path.of("/x/jweave-vxlan-router-1.jar"),
                Path.of("/x/lib/a.jar")));
        assertEquals(RouterImage.APP_LIB + "/a.jar:" + RouterImage.APP_LIB + "/jweave-vxlan-router-1.jar:"
                + RouterImage.APP_LIB + "/zstd.jar", cp);
        List<String> docker = RouterImage.entrypoint(opts);
        List<String> with = RouterImage.imageEntrypoint(opts, cp, true);
        List<String> without = RouterImage.imageEntrypoint(opts, cp, false);
        List<String> expected = new java.util.ArrayList<>(docker);
        expected.set(expected.indexOf(RouterImage.APP_LIB + "/*"), cp);
        assertEquals(expected, without);
        expected.add(expected.indexOf("-cp"), "-XX:SharedArchiveFile=" + RouterImage.CDS_ARCHIVE);
        assertEquals(expected, with);
    }

    @Test
    void dockerfileHasTheSameLayoutAndEnvironment() throws Exception {
        List<String> df = dockerfile();
        assertTrue(df.contains("FROM eclipse-temurin:17-jre"), "a standard Java 17 runtime base");
        assertTrue(df.contains("COPY lib/ " + RouterImage.APP_LIB + "/"), "jars where the offline image has them");
        assertTrue(df.contains("ENV " + StopMarker.IN_CONTAINER_ENV + "=1"), "the router knows it runs in a container");
    }

    @Test
    void jvmOptionsAreTheOnesTheJweaveScriptUses() throws Exception {
        List<String> opts = RouterImage.jvmOptions(PACKAGING.resolve("jvm.options"));
        assertTrue(opts.containsAll(List.of("-Xmx128m", "-XX:+UseSerialGC", "--add-modules", "java.se")), opts.toString());
        String script = Files.readString(PACKAGING.resolveSibling("jweave"));
        assertTrue(script.contains("packaging/jvm.options"), "./jweave reads the same file");
    }
}
