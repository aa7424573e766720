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
        try (SocketChannel ch = connect(socket)) {
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
     * An answer whose body is read while it arrives (a capture): the status line, the headers
     * (names in lower case) and the body, de-chunked. {@link #close()} closes the connection, also
     * from another thread while a read waits (the read then fails).
     */
    public static final class Streamed implements AutoCloseable {
        private final SocketChannel ch;
        private final String statusLine;
        private final java.util.Map<String, String> headers;
        private final java.io.InputStream body;

        Streamed(SocketChannel ch, String statusLine, java.util.Map<String, String> headers, java.io.InputStream body) {
            this.ch = ch;
            this.statusLine = statusLine;
            this.headers = headers;
            this.body = body;
        }

        public String statusLine() {
            return statusLine;
        }

        public boolean ok() {
            return statusLine.startsWith("HTTP/1.1 200");
        }

        /** A header's value (name in any case), or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        /**
         * The body as it arrives. A chunked body that ends without its last chunk (the server closed
         * the connection in the middle) fails with an {@link java.io.EOFException}.
         */
        public java.io.InputStream body() {
            return body;
        }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /**
     * Sends {@code METHOD path} and returns once the status line and headers are in (within the
     * usual deadline); the body is then read as it arrives, with no deadline.
     */
    public static Streamed stream(Path socket, String method, String path) throws IOException {
        SocketChannel ch = connect(socket);
        boolean ok = false;
        try {
            ch.write(ByteBuffer.wrap((method + " " + path + " HTTP/1.1\r\nHost: jweave\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            java.io.InputStream in = new java.io.BufferedInputStream(java.nio.channels.Channels.newInputStream(ch), 64 * 1024);
            // The headers within the deadline: a router that accepts but never answers must not hang the CLI.
            Thread watchdog = new Thread(() -> {
                try {
                    Thread.sleep(TIMEOUT_NANOS / 1_000_000);
                    ch.close();
                } catch (InterruptedException | IOException e) {
                    // answered in time
                }
            }, "jweave-http-deadline");
            watchdog.setDaemon(true);
            watchdog.start();
            String status;
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            try {
                status = line(in);
                for (String l; !(l = line(in)).isEmpty(); ) {
                    int colon = l.indexOf(':');
                    if (colon > 0) {
                        headers.put(l.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT), l.substring(colon + 1).strip());
                    }
                }
            } catch (java.nio.channels.AsynchronousCloseException e) {
                throw new IOException("no answer within " + TIMEOUT_NANOS / 1_000_000_000L + " s");
            } finally {
                watchdog.interrupt();
            }
            if (!status.startsWith("HTTP/1.1 ")) {
                throw new IOException("malformed answer from " + socket);
            }
            java.io.InputStream body;
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = new Chunked(in);
            } else if (headers.containsKey("content-length")) {
                body = new Limited(in, Long.parseLong(headers.get("content-length")));
            } else {
                body = in;
            }
            ok = true;
            return new Streamed(ch, status, headers, body);
        } finally {
            if (!ok) {
                ch.close();
            }
        }
    }

    /**
     * A connected socket channel (for {@link #request} and {@link #stream}). A socket whose path is
     * longer than the JDK takes (a data directory or build tree deep in the file system) is reached
     * through a symbolic link in a fresh short-named directory: the kernel follows links when it
     * resolves a socket path, and the connection stays when the link goes.
     */
    private static SocketChannel connect(Path socket) throws IOException {
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length <= JDK_MAX_SOCKET_PATH) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return ch;
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        }
        Path dir = Files.createTempDirectory("jweave-sock-");
        try {
            Path link = Files.createSymbolicLink(dir.resolve("s"), socket.toAbsolutePath());
            if (link.toString().getBytes(StandardCharsets.UTF_8).length > JDK_MAX_SOCKET_PATH) {
                throw new IOException("socket path " + socket + " is longer than the " + MAX_SOCKET_PATH
                        + " bytes a socket address holds, and so is a link to it in the temporary directory " + dir);
            }
            return connect(link);
        } finally {
            Files.deleteIfExists(dir.resolve("s"));
            Files.deleteIfExists(dir);
        }
    }

    /** One CRLF-terminated line (without it); EOFException if the stream ends first. */
    private static String line(java.io.InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new java.io.EOFException("the connection closed in the middle of the answer's headers");
            }
            if (sb.length() > 8192) {
                throw new IOException("an answer's header line longer than 8 KiB");
            }
            sb.append((char) c);
        }
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
    }

    /** A body read from the connection's stream {@code in}; a single byte is read as an array of one. */
    private abstract static class Body extends java.io.InputStream {
        final java.io.InputStream in;

        Body(java.io.InputStream in) {
            this.in = in;
        }

        @Override
        public final int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }
    }

    /** A body of {@code Content-Length} bytes. */
    private static final class Limited extends Body {
        private long left;

        Limited(java.io.InputStream in, long length) {
            super(in);
            this.left = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new java.io.EOFException("the connection closed " + left + " bytes before the end of the answer");
            }
            left -= n;
            return n;
        }
    }

    /** A chunked body, de-chunked; it ends at the last (empty) chunk, and fails if the connection ends before. */
    private static final class Chunked extends Body {
        private long left;
        private boolean done;

        Chunked(java.io.InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size;
                try {
                    size = line(in);
                } catch (java.io.EOFException e) {
                    throw new java.io.EOFException("the connection closed before the end of the answer");
                }
                int semi = size.indexOf(';');
                try {
                    left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("malformed chunk size \"" + size + "\"");
                }
                if (left == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new java.io.EOFException("the connection closed before the end of the answer");
            }
            left -= n;
            if (left == 0 && !line(in).isEmpty()) {
                throw new IOException("malformed chunk: no CRLF after its data");
            }
            return n;
        }

        @Override
        public int available() throws IOException {
            return done ? 0 : (int) Math.min(left, in.available());
        }
    }
}
