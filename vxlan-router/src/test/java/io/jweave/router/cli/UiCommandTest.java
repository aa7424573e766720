package io.jweave.router.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.router.status.StatusServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class UiCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A router that answers {@code /report} with this configuration (and the status socket, nothing else). */
    private static StatusServer router(Path dir, String httpAddr) throws Exception {
        Map<String, Object> config = new HashMap<>();
        config.put("name", "host1");
        config.put("advertiseAddr", "198.51.100.11");
        config.put("httpAddr", httpAddr);
        StatusServer s = new StatusServer(dir.resolve("status.sock"),
                Map.of("/report", StatusServer.Endpoint.json(() -> Map.of("config", config))));
        s.start();
        return s;
    }

    @Test
    void printsTheUrlAndTheSshForward(@TempDir Path dir) throws Exception {
        try (StatusServer s = router(dir, "127.0.0.1:6784")) {
            Run r = run("ui", "--data-dir", dir.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("  http://127.0.0.1:6784/\n"), r.out());
            assertTrue(r.out().contains("  ssh -L 6784:127.0.0.1:6784 root@198.51.100.11\n"), r.out());
            assertTrue(r.out().contains("then open http://127.0.0.1:6784/"), r.out());
            assertTrue(r.out().contains("loopback only and has no authentication"), r.out());

            Run url = run("ui", "--url", "--data-dir", dir.toString());
            assertEquals("http://127.0.0.1:6784/\n", url.out());
        }
    }

    @Test
    void bracketsAnIpv6Listener(@TempDir Path dir) throws Exception {
        try (StatusServer s = router(dir, "0:0:0:0:0:0:0:1:7000")) {
            Run r = run("ui", "--data-dir", dir.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("  http://[0:0:0:0:0:0:0:1]:7000/\n"), r.out());
            assertTrue(r.out().contains("ssh -L 7000:[0:0:0:0:0:0:0:1]:7000 root@198.51.100.11"), r.out());
        }
    }

    @Test
    void saysSoWhenTheRouterHasNoHttpListener(@TempDir Path dir) throws Exception {
        try (StatusServer s = router(dir, null)) {
            Run r = run("ui", "--data-dir", dir.toString());
            assertEquals(1, r.code());
            assertTrue(r.err().startsWith("jweave ui: router host1 has no HTTP listener, so it serves no topology page;"),
                    r.err());
            assertEquals("", r.out());
        }
    }

    @Test
    void saysSoWhenNoRouterRuns(@TempDir Path dir) {
        Run r = run("ui", "--data-dir", dir.toString());
        assertEquals(1, r.code());
        assertEquals("jweave ui: no router is running (no status socket at " + dir.resolve("status.sock")
                + "); start one with: jweave launch\n", r.err());
    }
}
