package io.jweave.router.cli;

import io.jweave.router.RouterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts the router as a detached background process ({@code launch --foreground} in a new
 * session, output to DATA-DIR/router.log, pid in DATA-DIR/router.pid) and waits until it answers.
 */
final class Background {
    private static final long READY_TIMEOUT_MS = 60_000;

    private Background() {
    }

    static Path pidFile(Path dataDir) {
        return dataDir.resolve("router.pid");
    }

    static Path logFile(Path dataDir) {
        return dataDir.resolve("router.log");
    }

    /** The pid of a live router started for this data directory, if any. */
    static Optional<ProcessHandle> running(Path dataDir) {
        try {
            Path pf = pidFile(dataDir);
            if (!Files.exists(pf)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(pf).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().commandLine().map(c -> c.contains("launch") && c.contains("--foreground")).orElse(true));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static int launch(RouterConfig cfg, List<String> args) throws Exception {
        Optional<ProcessHandle> live = running(cfg.dataDir());
        if (live.isPresent() && PluginProbe.answers(cfg.pluginSocket())) {
            System.out.println("jweave router already running (pid " + live.get().pid() + "), plugin at " + cfg.pluginSocket());
            return 0;
        }
        if (PluginProbe.answers(cfg.pluginSocket())) {
            System.out.println("a jweave router already answers at " + cfg.pluginSocket() + "; nothing to do");
            return 0;
        }
        Files.createDirectories(cfg.dataDir());
        Path log = logFile(cfg.dataDir());
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of("setsid", java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "launch", "--foreground"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true)
                .start();
        Files.writeString(pidFile(cfg.dataDir()), Long.toString(p.pid()));
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the router exited with status " + p.exitValue() + "; last log lines:\n"
                        + tail(log, 15));
            }
            if (PluginProbe.answers(cfg.pluginSocket())) {
                System.out.println("jweave router " + cfg.name() + " started (pid " + p.pid() + "), plugin at "
                        + cfg.pluginSocket() + ", log " + log);
                return 0;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the router did not answer within " + READY_TIMEOUT_MS / 1000 + " s; see " + log);
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ")";
        }
    }
}
