package io.jweave.router.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A router running as a detached host process, as {@code jweave launch} started it before the
 * router container (pid in DATA-DIR/router.pid, output in DATA-DIR/router.log): found so that
 * {@code jweave stop} still stops it and {@code jweave launch} does not start a second router.
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

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ")";
        }
    }
}
