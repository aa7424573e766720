package io.jweave.router.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.router.MeshPassword;
import io.jweave.router.RouterConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** How the password, the tunnel port and the rekey interval get from {@code jweave launch} into RouterConfig. */
class LaunchPasswordTest {
    private static final String SECRET = "s3cret-of-the-mesh-0123";

    @TempDir
    Path dir;

    private LaunchCommand parse(Map<String, String> env, String... args) {
        LaunchCommand l = new LaunchCommand();
        List<String> all = new ArrayList<>(List.of("--name", "r1", "--advertise-addr", "127.0.0.1",
                "--data-dir", dir.resolve("data").toString(), "--plugin-socket", dir.resolve("p.sock").toString()));
        all.addAll(List.of(args));
        new CommandLine(l).parseArgs(all.toArray(String[]::new));
        l.environment = env;
        return l;
    }

    private Path secretFile(String content) throws Exception {
        Path f = dir.resolve("password");
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    @Test
    void noPasswordByDefaultAndTheDefaultsOfTunnelPortAndRekey() throws Exception {
        RouterConfig cfg = parse(Map.of()).config();
        assertNull(cfg.password());
        assertFalse(cfg.hasPassword());
        assertEquals(6783, cfg.tunnelPort());
        assertEquals(Duration.ofSeconds(120), cfg.rekeyAfter());
    }

    @Test
    void passwordFileWinsOverJweavePasswordWhichIsUsedAlone() throws Exception {
        Path f = secretFile(SECRET + "\n");
        RouterConfig both = parse(Map.of(MeshPassword.ENV, "the environment's password"), "--password-file", f.toString()).config();
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8), both.password().bytes());
        RouterConfig env = parse(Map.of(MeshPassword.ENV, "the environment's password")).config();
        assertArrayEquals("the environment's password".getBytes(StandardCharsets.UTF_8), env.password().bytes());
        assertFalse(both.toString().contains(SECRET), both.toString());
        assertThrows(IllegalArgumentException.class, () -> parse(Map.of(MeshPassword.ENV, "")).config());
    }

    @Test
    void tunnelPortAndRekeyIntervalAreCheckedAndTheRekeyOptionIsHidden() throws Exception {
        RouterConfig cfg = parse(Map.of(), "--tunnel-port", "7000", "--rekey-interval", "3").config();
        assertEquals(7000, cfg.tunnelPort());
        assertEquals(Duration.ofSeconds(3), cfg.rekeyAfter());
        assertEquals("--tunnel-port 0 is not a UDP port (1-65535)",
                assertThrows(IllegalArgumentException.class, () -> parse(Map.of(), "--tunnel-port", "0").config()).getMessage());
        assertEquals("--tunnel-port 4789 is also the --vxlan-port: choose another",
                assertThrows(IllegalArgumentException.class, () -> parse(Map.of(), "--tunnel-port", "4789").config()).getMessage());
        for (String bad : List.of("0", "121")) {
            assertEquals("--rekey-interval " + bad + " must be between 1 and 120 seconds", assertThrows(IllegalArgumentException.class,
                    () -> parse(Map.of(), "--rekey-interval", bad).config()).getMessage());
        }
        String usage = new CommandLine(new LaunchCommand()).getUsageMessage();
        assertTrue(usage.contains("--password-file") && usage.contains("--tunnel-port"), usage);
        assertFalse(usage.contains("--rekey-interval"), usage);
    }

    @Test
    void theRouterContainersArgumentsCarryNoSecretAndTheOptionsForTheTunnel() throws Exception {
        Path f = secretFile(SECRET);
        LaunchCommand l = parse(Map.of(MeshPassword.ENV, SECRET), "--password-file", f.toString(), "--rekey-interval", "5");
        l.config();
        java.lang.reflect.Method raw = LaunchCommand.class.getDeclaredMethod("rawArgs");
        raw.setAccessible(true);
        @SuppressWarnings("unchecked")
        List<String> args = (List<String>) raw.invoke(l);
        assertTrue(args.contains("--tunnel-port=6783") && args.contains("--rekey-interval=5"), args.toString());
        assertFalse(args.stream().anyMatch(a -> a.contains(SECRET) || a.startsWith("--password-file")),
                "the user's file is not mounted in the container; RouterContainer adds its copy: " + args);
    }

    @Test
    void theContainersOwnCopyCannotBeTheUsersPasswordFile() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path copy = RouterContainer.passwordFile(data);
        Files.writeString(copy, SECRET);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-------"));
        String msg = assertThrows(IllegalArgumentException.class,
                () -> parse(Map.of(), "--password-file", copy.toString()).config()).getMessage();
        assertTrue(msg.startsWith("--password-file " + copy + " is the copy jweave keeps"), msg);
        // in the container the router is started with exactly that file, in the foreground
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8),
                parse(Map.of(), "--foreground", "--password-file", copy.toString()).config().password().bytes());
    }

    @Test
    void writeSecretMakesAPrivateFileAtomicallyReplacingAnOldOne() throws Exception {
        Path f = dir.resolve("password");
        Files.writeString(f, "old and world-readable");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
        RouterContainer.writeSecret(f, secret);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(SECRET, Files.readString(f));
        assertArrayEquals(new byte[secret.length], secret, "the caller's copy is overwritten");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList(), "no temporary file left");
        }
        // and the router accepts it as it is
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8), MeshPassword.fromFile(f).bytes());
    }
}
