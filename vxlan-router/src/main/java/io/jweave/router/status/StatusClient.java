package io.jweave.router.status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The CLI's side of the status API: one GET over the router's Unix socket. */
public final class StatusClient {
    private StatusClient() {
    }

    /**
     * The body of {@code METHOD path} ({@code path} may carry a query string); throws with the
     * router's own message when it refuses the request (400), or when no router answers.
     */
    public static String request(Path dataDir, String method, String path) {
        Path socket = StatusServer.socketIn(dataDir);
        if (!Files.exists(socket)) {
            throw new IllegalStateException("no jweave router is running for data directory " + dataDir
                    + " (no " + socket + "); start one with: jweave launch");
        }
        try {
            UnixHttp.Response r = UnixHttp.request(socket, method, path);
            if (!r.ok()) {
                String msg = r.body().trim();
                try {
                    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(msg);
                    if (node.hasNonNull("error")) {
                        msg = node.get("error").asText();
                    }
                } catch (IOException e) {
                    // not JSON: show it as it is
                }
                if (r.statusLine().startsWith("HTTP/1.1 400")) {
                    throw new IllegalArgumentException(msg);
                }
                throw new IllegalStateException("the router answered " + r.statusLine().substring(9) + ": " + msg);
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException("the router at " + socket + " does not answer (" + e.getMessage()
                    + "); is it running?");
        }
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
