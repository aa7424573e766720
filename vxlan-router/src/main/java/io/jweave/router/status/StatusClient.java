package io.jweave.router.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The CLI's side of the status API: requests over the router's Unix socket in its data directory. */
public final class StatusClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StatusClient() {
    }

    /** The body of {@code GET path}; throws with a one-line message for the user when no router answers or it refuses. */
    public static String get(Path dataDir, String path) {
        return call(dataDir, "GET", path, null);
    }

    /** The body of {@code POST path} with {@code body} as a JSON object. */
    public static String post(Path dataDir, String path, Map<String, ?> body) {
        try {
            return call(dataDir, "POST", path, JSON.writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode the request: " + e.getMessage());
        }
    }

    private static String call(Path dataDir, String method, String path, String body) {
        Path socket = socket(dataDir);
        try {
            UnixHttp.Response r = UnixHttp.request(socket, method, path, body);
            if (!r.ok()) {
                throw new IllegalStateException(errorOf(r));
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException("the router at " + socket + " does not answer (" + e.getMessage()
                    + "); is it running?");
        }
    }

    /**
     * {@code GET path} whose body is read as it arrives (a capture); throws with the router's one-line
     * message when it refuses, or when no router answers. The caller closes the answer.
     */
    public static UnixHttp.Streamed stream(Path dataDir, String path) {
        Path socket = socket(dataDir);
        UnixHttp.Streamed s;
        try {
            s = UnixHttp.stream(socket, "GET", path);
        } catch (IOException e) {
            throw new IllegalStateException("the router at " + socket + " does not answer (" + e.getMessage()
                    + "); is it running?");
        }
        if (!s.ok()) {
            String body;
            try (s) {
                body = new String(s.body().readNBytes(64 * 1024), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            throw new IllegalStateException(errorOf(new UnixHttp.Response(s.statusLine(), body)));
        }
        return s;
    }

    /** The socket of the router of {@code dataDir}; refuses a data directory that cannot hold one. */
    public static Path socket(Path dataDir) {
        if (!Files.exists(dataDir)) {
            throw new IllegalStateException("--data-dir " + dataDir + " does not exist; no router is running for it");
        }
        if (!Files.isDirectory(dataDir)) {
            throw new IllegalStateException("--data-dir " + dataDir + " is not a directory");
        }
        Path socket = StatusServer.socketIn(dataDir);
        if (!Files.exists(socket)) {
            throw new IllegalStateException("no router is running (no status socket at " + socket + "); start one with: jweave launch");
        }
        return socket;
    }

    /** The router's {@code {"error": ...}} message, or the status line and body. */
    static String errorOf(UnixHttp.Response r) {
        try {
            JsonNode n = JSON.readTree(r.body());
            if (n != null && n.hasNonNull("error")) {
                return n.get("error").asText();
            }
        } catch (IOException e) {
            // not JSON: fall through
        }
        return "the router answered " + r.statusLine().substring(Math.min(9, r.statusLine().length())) + ": " + r.body().trim();
    }
}
