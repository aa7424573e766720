package io.jweave.router;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class MeshPasswordTest {
    private static final String GOOD = "correct horse battery staple";

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        logged.start();
        ((Logger) LoggerFactory.getLogger(MeshPassword.class)).addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        ((Logger) LoggerFactory.getLogger(MeshPassword.class)).detachAppender(logged);
    }

    private Path file(String name, String content, String mode) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    private static String refusal(Path f) {
        return assertThrows(IllegalArgumentException.class, () -> MeshPassword.fromFile(f)).getMessage();
    }

    private List<ILoggingEvent> warnings() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }

    @Test
    void aPrivateFileIsReadAndOneTrailingNewlineIsNotPartOfIt() throws IOException {
        assertArrayEquals(GOOD.getBytes(StandardCharsets.UTF_8), MeshPassword.fromFile(file("lf", GOOD + "\n", "rw-------")).bytes());
        assertArrayEquals(GOOD.getBytes(StandardCharsets.UTF_8), MeshPassword.fromFile(file("crlf", GOOD + "\r\n", "r--------")).bytes());
        assertArrayEquals(GOOD.getBytes(StandardCharsets.UTF_8), MeshPassword.fromFile(file("none", GOOD, "rw-------")).bytes());
        // only one newline is stripped, and inner or leading spaces belong to the password
        assertArrayEquals((" " + GOOD + "\n").getBytes(StandardCharsets.UTF_8),
                MeshPassword.fromFile(file("two", " " + GOOD + "\n\n", "rw-------")).bytes());
        assertTrue(warnings().isEmpty(), "a long password logs no warning: " + logged.list);
    }

    @Test
    void aFileReadableOrWritableByGroupOrOthersIsRefusedAsSshDoes() throws IOException {
        Path f = file("open", GOOD, "rw-r--r--");
        assertEquals("password file " + f + " is readable by group or others (mode 0644): run chmod 600 " + f, refusal(f));
        Path g = file("group", GOOD, "rw-r-----");
        assertEquals("password file " + g + " is readable by group or others (mode 0640): run chmod 600 " + g, refusal(g));
        Path o = file("others", GOOD, "rw----r--");
        assertTrue(refusal(o).contains("(mode 0604)"), refusal(o));
        Path w = file("writable", GOOD, "rw--w----");
        assertEquals("password file " + w + " is writable by group or others (mode 0620): run chmod 600 " + w, refusal(w));
    }

    @Test
    void missingDirectoryEmptyAndWhitespaceFilesAreRefusedNamingTheFile() throws IOException {
        Path missing = dir.resolve("missing");
        assertEquals("password file " + missing + " does not exist", refusal(missing));
        Path d = Files.createDirectory(dir.resolve("a-dir"));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        assertEquals("password file " + d + " is a directory, not a file", refusal(d));
        Path empty = file("empty", "", "rw-------");
        assertEquals("password file " + empty + " is empty", refusal(empty));
        Path newline = file("newline", "\n", "rw-------");
        assertEquals("password file " + newline + " is empty (only whitespace)", refusal(newline));
        Path blank = file("blank", "  \t\r\n\n", "rw-------");
        assertEquals("password file " + blank + " is empty (only whitespace)", refusal(blank));
        for (Path p : List.of(missing, d, empty, newline, blank)) {
            assertFalse(refusal(p).contains("\n"), "one line: " + refusal(p));
        }
    }

    @Test
    void theEnvironmentGivesThePasswordWhenSetAndAnEmptyValueIsRefused() {
        assertEquals(Optional.empty(), MeshPassword.fromEnvironment(Map.of()));
        assertEquals(Optional.empty(), MeshPassword.fromEnvironment(Map.of("WEAVE_PASSWORD", GOOD)));
        assertArrayEquals(GOOD.getBytes(StandardCharsets.UTF_8),
                MeshPassword.fromEnvironment(Map.of(MeshPassword.ENV, GOOD)).orElseThrow().bytes());
        String empty = assertThrows(IllegalArgumentException.class,
                () -> MeshPassword.fromEnvironment(Map.of(MeshPassword.ENV, ""))).getMessage();
        assertTrue(empty.startsWith("JWEAVE_PASSWORD is set but empty"), empty);
        assertThrows(IllegalArgumentException.class, () -> MeshPassword.fromEnvironment(Map.of(MeshPassword.ENV, " \n")));
    }

    @Test
    void theFileWinsOverTheEnvironment() throws IOException {
        Path f = file("pw", GOOD + "\n", "rw-------");
        Map<String, String> env = Map.of(MeshPassword.ENV, "another password entirely");
        assertEquals(MeshPassword.of(GOOD), MeshPassword.resolve(f, env).orElseThrow());
        // the environment is not even looked at when a file is given (an empty value is not an error then)
        assertEquals(MeshPassword.of(GOOD), MeshPassword.resolve(f, Map.of(MeshPassword.ENV, "")).orElseThrow());
        assertEquals(MeshPassword.of("another password entirely"), MeshPassword.resolve(null, env).orElseThrow());
        assertEquals(Optional.empty(), MeshPassword.resolve(null, Map.of()));
        // a bad file is refused even when the environment has a good password
        Path open = file("open", GOOD, "rw-rw-rw-");
        assertThrows(IllegalArgumentException.class, () -> MeshPassword.resolve(open, env));
    }

    @Test
    void aShortPasswordStartsWithOneWarningThatDoesNotShowIt() throws IOException {
        MeshPassword p = MeshPassword.fromFile(file("short", "hunter2\n", "rw-------"));
        assertTrue(p.weak());
        assertEquals(1, warnings().size(), logged.list.toString());
        String msg = warnings().get(0).getFormattedMessage();
        assertTrue(msg.contains("shorter than 12 characters"), msg);
        assertFalse(msg.contains("hunter2"), msg);
        // 12 characters (not bytes) is enough: 12 two-byte characters are not weak, 11 are
        assertFalse(MeshPassword.of("é".repeat(12)).weak());
        assertTrue(MeshPassword.of("é".repeat(11)).weak());
        assertFalse(MeshPassword.of("x".repeat(12)).weak());
    }

    @Test
    void theSecretNeverShowsAndBytesAreACopyUntilCleared() {
        MeshPassword p = MeshPassword.of(GOOD);
        assertEquals("MeshPassword[redacted]", p.toString());
        byte[] b = p.bytes();
        b[0] = 'X';
        assertArrayEquals(GOOD.getBytes(StandardCharsets.UTF_8), p.bytes(), "bytes() is a copy");
        assertNotEquals(MeshPassword.of(GOOD + "!"), p);
        p.clear();
        assertThrows(IllegalStateException.class, p::bytes);
        assertNotEquals(MeshPassword.of(GOOD), p);
    }

    @Test
    void aRouterConfigPrintedOrSerialisedDoesNotRevealThePassword() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        RouterConfig cfg = new RouterConfig("r", lo, "unix:///var/run/docker.sock", Path.of("/run/p.sock"),
                Path.of("/var/lib/jweave"), "10.32.0.0/12", 24, "jweave.local", 4789, List.of(), 6783, "jweave",
                Duration.ofMinutes(10), lo, 5, List.of(), new InetSocketAddress(lo, 6784), MeshPassword.of(GOOD),
                RouterConfig.DEFAULT_TUNNEL_PORT, RouterConfig.DEFAULT_REKEY_AFTER, RouterConfig.DEFAULT_TUNNEL_TCP_PORT);
        assertTrue(cfg.hasPassword());
        assertFalse(cfg.toString().contains(GOOD), cfg.toString());
        assertTrue(cfg.toString().contains("password=MeshPassword[redacted]"), cfg.toString());
        String json = new ObjectMapper().writeValueAsString(Map.of("password", cfg.password()));
        assertEquals("{\"password\":\"MeshPassword[redacted]\"}", json);
        assertThrows(IllegalArgumentException.class, () -> new RouterConfig("r", lo, "d", Path.of("/p"), Path.of("/d"),
                "10.32.0.0/12", 24, "d", 4789, List.of(), 6783, "j", Duration.ofMinutes(10), lo, 5, List.of(), null, null,
                0, RouterConfig.DEFAULT_REKEY_AFTER, RouterConfig.DEFAULT_TUNNEL_TCP_PORT));
    }
}
