package io.jweave.router.status;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** One HTTP/1.1 request over a Unix socket ({@code Connection: close}), as the CLI talks to a router. */
public final class UnixHttp {
    private static final long TIMEOUT_NANOS = 10_000_000_000L;
    /** The longest socket path the kernel takes ({@code sun_path} is 108 bytes with its NUL). */
    public static final int MAX_SOCKET_PATH = 107;
    /**
     * The longest path the JDK's own Unix-domain socket address takes: one byte less than the kernel
     * (it refuses 107 bytes with "Unix domain path too long"; measured with JDK 17).
     */
    static final int JDK_MAX_SOCKET_PATH = 106;

    private UnixHttp() {
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /** The status line ({@code HTTP/1.1 200 OK}) and the body of an answer. */
    public record Response(String statusLine, String body) {
        public boolean ok() {
            return statusLine.startsWith("HTTP/1.1 200");
        }
    }

    /** Sends {@code METHOD path} with an empty body (as Docker sends Plugin.Activate) and reads the whole answer. */
    public static Response request(Path socket, String method, String path) throws IOException {
        return request(socket, method, path, null);
    }

    /** Sends {@code METHOD path} with a JSON body (or none if null) and reads the whole answer. */
    public static Response request(Path socket, String method, String path, String jsonBody) throws IOException {
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > JDK_MAX_SOCKET_PATH) {
            return requestThroughLink(socket, method, path, jsonBody);
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
            ch.write(ByteBuffer.wrap((method + " " + path + " HTTP/1.1\r\nHost: jweave\r\nContent-Length: " + body.length
                    + "\r\n" + (jsonBody == null ? "" : "Content-Type: application/json\r\n")
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer b = ByteBuffer.wrap(body);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            // A router that accepts but never answers must not hang the CLI: read with a deadline.
            ch.configureBlocking(false);
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + TIMEOUT_NANOS;
            int n;
            while ((n = ch.read(buf)) >= 0) {
                if (n == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("no complete answer within " + TIMEOUT_NANOS / 1_000_000_000L + " s");
                    }
                    sleep();
                    continue;
                }
                buf.flip();
                all.write(buf.array(), 0, buf.limit());
                buf.clear();
            }
            String resp = all.toString(StandardCharsets.UTF_8);
            int eol = resp.indexOf("\r\n");
            int sep = resp.indexOf("\r\n\r\n");
            if (eol < 0 || sep < 0 || !resp.startsWith("HTTP/1.1 ")) {
                throw new IOException("malformed answer from " + socket);
            }
            return new Response(resp.substring(0, eol), resp.substring(sep + 4));
        }
    }

    /**
     * A socket whose path is longer than the kernel takes (a data directory or build tree deep in
     * the file system) is reached through a symbolic link in a fresh short-named directory: the
     * kernel follows links when it resolves a socket path.
     */
    private static Response requestThroughLink(Path socket, String method, String path, String jsonBody)
            throws IOException {
        Path dir = Files.createTempDirectory("jweave-sock-");
        try {
            Path link = Files.createSymbolicLink(dir.resolve("s"), socket.toAbsolutePath());
            if (link.toString().getBytes(StandardCharsets.UTF_8).length > JDK_MAX_SOCKET_PATH) {
                throw new IOException("socket path " + socket + " is longer than the " + MAX_SOCKET_PATH
                        + " bytes a socket address holds, and so is a link to it in the temporary directory " + dir);
            }
            return request(link, method, path, jsonBody);
        } finally {
            Files.deleteIfExists(dir.resolve("s"));
            Files.deleteIfExists(dir);
        }
    }
}
