package io.jweave.router.cli;

import io.jweave.router.Router;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How the router container tells "jweave stop" from dockerd stopping every container.
 *
 * <p>Without live-restore, dockerd stops all containers at once when it shuts down (restart,
 * upgrade, reboot). If the router went first, Docker's Leave / DeleteEndpoint / ReleaseAddress for
 * every other container would meet a missing plugin and be retried for about 15 s each, holding up
 * dockerd's shutdown (and leaving stale state). So on SIGTERM the containerised router keeps
 * serving while it still has endpoints, for at most {@link #LINGER_MS}; dockerd removes them as
 * it stops their containers and the router then exits, {@link #QUIET_MS} after the last one (for
 * the address releases that follow). {@code jweave stop} writes
 * {@code DATA-DIR/router.stop} first: then the router exits at once.
 */
final class StopMarker {
    /** Below the router container's stop timeout (30 s), after which Docker sends SIGKILL. */
    static final long LINGER_MS = 25_000;
    /** After the last endpoint is gone Docker still releases its address (IpamDriver.ReleaseAddress). */
    static final long QUIET_MS = 2_000;
    static final String IN_CONTAINER_ENV = "JWEAVE_IN_CONTAINER";

    private StopMarker() {
    }

    static Path file(Path dataDir) {
        return dataDir.resolve("router.stop");
    }

    static boolean inContainer() {
        return "1".equals(System.getenv(IN_CONTAINER_ENV));
    }

    static void write(Path dataDir) throws IOException {
        Files.writeString(file(dataDir), "stop requested by jweave stop\n");
    }

    static void lingerWhileEndpoints(Router router, Path dataDir) {
        long deadline = System.currentTimeMillis() + LINGER_MS;
        boolean told = false;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (Files.deleteIfExists(file(dataDir))) {
                    return;
                }
                int n = router.report().endpoints().size();
                if (n == 0) {
                    if (told) {
                        Thread.sleep(QUIET_MS);
                    }
                    return;
                }
                if (!told) {
                    System.err.println("jweave: SIGTERM with " + n + " endpoints left: serving Docker's removals for up to "
                            + LINGER_MS / 1000 + " s (dockerd is stopping containers?); `jweave stop` stops at once");
                    told = true;
                }
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                return; // not started or already closing: nothing to wait for
            }
        }
    }
}
