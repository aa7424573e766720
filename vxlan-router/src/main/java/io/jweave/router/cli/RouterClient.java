package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.router.status.StatusClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The {@code --data-dir} option of the commands that talk to the local router, and their requests
 * (through the status API on {@code DATA-DIR/status.sock}). Used as a picocli mixin.
 */
public final class RouterClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "/var/lib/jweave",
            description = "The router's data directory, which holds its status socket (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    Path dataDir() {
        return dataDir.toAbsolutePath();
    }

    /** {@code GET path}, raw body. */
    String get(String path) {
        return StatusClient.get(dataDir(), path);
    }

    /** {@code GET path}, parsed. */
    JsonNode getJson(String path) {
        return parse(get(path));
    }

    /** {@code POST path} with a JSON object, parsed. */
    JsonNode post(String path, Map<String, ?> body) {
        return parse(StatusClient.post(dataDir(), path, body));
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("the router answered something that is not JSON: " + e.getMessage());
        }
    }

    /** A field's text, or {@code dash} when missing or null. */
    static String text(JsonNode n, String field, String dash) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? dash : v.asText();
    }

    static String shortId(String id) {
        return id == null ? "-" : id.length() > 12 ? id.substring(0, 12) : id;
    }
}
