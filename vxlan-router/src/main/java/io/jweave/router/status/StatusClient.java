package io.jweave.router.status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The CLI's side of the status API: one GET over the router's Unix socket. */
public final class StatusClient {
    private StatusClient() {
    }

    /** The body of {@code GET path}; throws with a message for the user when no router answers. */
    public static String get(Path dataDir, String path) {
        Path socket = StatusServer.socketIn(dataDir);
        if (!Files.exists(socket)) {
            throw new IllegalStateException("no jweave router is running for data directory " + dataDir
                    + " (no " + socket + "); start one with: jweave launch");
        }
        try {
            UnixHttp.Response r = UnixHttp.request(socket, "GET", path);
            if (!r.ok()) {
                throw new IllegalStateException("the router answered " + r.statusLine().substring(9) + ": " + r.body().trim());
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException("the router at " + socket + " does not answer (" + e.getMessage()
                    + "); is it running?");
        }
    }
}
