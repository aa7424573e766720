package io.jweave.router.status;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
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
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: jweave\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            while (ch.read(buf) >= 0) {
                buf.flip();
                all.write(buf.array(), 0, buf.limit());
                buf.clear();
            }
            String resp = all.toString(StandardCharsets.UTF_8);
            int sep = resp.indexOf("\r\n\r\n");
            if (sep < 0 || !resp.startsWith("HTTP/1.1 ")) {
                throw new IllegalStateException("the router at " + socket + " sent a malformed answer");
            }
            String statusLine = resp.substring(0, resp.indexOf("\r\n"));
            String body = resp.substring(sep + 4);
            if (!statusLine.startsWith("HTTP/1.1 200")) {
                throw new IllegalStateException("the router answered " + statusLine.substring(9) + ": " + body.trim());
            }
            return body;
        } catch (IOException e) {
            throw new IllegalStateException("the router at " + socket + " does not answer (" + e.getMessage()
                    + "); is it running?");
        }
    }
}
