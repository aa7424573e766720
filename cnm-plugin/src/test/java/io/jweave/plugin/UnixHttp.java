package io.jweave.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw HTTP/1.1 client on a Unix socket that sends requests the way dockerd's Go client does:
 * POST, no Content-Type, Docker's Accept header, Host {@code plugin.moby.localhost}, keep-alive.
 * Reads are bounded by a deadline so a broken server fails the test instead of hanging it.
 */
final class UnixHttp implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final long READ_DEADLINE_MS = 15_000;

    record Response(int status, Map<String, String> headers, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("response body is not JSON: " + body, e);
            }
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final SocketChannel channel;
    private final Selector selector;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    UnixHttp(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        channel.configureBlocking(false);
        selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    /** The request bytes dockerd would send for {@code path} with this body ("" = empty body). */
    static String dockerRequest(String path, String body) {
        int length = body.getBytes(StandardCharsets.UTF_8).length;
        return "POST " + path + " HTTP/1.1\r\n"
                + "Host: plugin.moby.localhost\r\n"
                + "User-Agent: Go-http-client/1.1\r\n"
                + "Content-Length: " + length + "\r\n"
                + "Accept: application/vnd.docker.plugins.v1.2+json\r\n"
                + "Accept-Encoding: gzip\r\n"
                + "\r\n"
                + body;
    }

    Response post(String path, String body) throws IOException {
        send(dockerRequest(path, body));
        return read();
    }

    void send(String raw) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(raw.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    /** Reads one response (Content-Length framed, as the server always sends). */
    Response read() throws IOException {
        long deadline = System.currentTimeMillis() + READ_DEADLINE_MS;
        while (true) {
            Response r = tryParse();
            if (r != null) {
                return r;
            }
            if (!fill(deadline)) {
                throw new IOException("connection closed before a full response; got: "
                        + pending.toString(StandardCharsets.UTF_8));
            }
        }
    }

    /** True if the server closed the connection (EOF) before the deadline with nothing more to read. */
    boolean closedByServer() throws IOException {
        long deadline = System.currentTimeMillis() + READ_DEADLINE_MS;
        try {
            while (true) {
                if (!fill(deadline)) {
                    return true;
                }
            }
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    private boolean fill(long deadline) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (true) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new IOException("timed out waiting for the server");
            }
            selector.select(left);
            selector.selectedKeys().clear();
            int n = channel.read(buf);
            if (n < 0) {
                return false;
            }
            if (n > 0) {
                pending.write(buf.array(), 0, n);
                return true;
            }
        }
    }

    private Response tryParse() {
        byte[] data = pending.toByteArray();
        String text = new String(data, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return null;
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        int bodyStart = end + 4;
        if (data.length < bodyStart + length) {
            return null;
        }
        String body = new String(data, bodyStart, length, StandardCharsets.UTF_8);
        pending.reset();
        pending.write(data, bodyStart + length, data.length - bodyStart - length);
        return new Response(status, headers, body);
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
