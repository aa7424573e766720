package io.jweave.it.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The smallest Docker Engine API client a benchmark needs to poll without a CLI start each time
 * (the 20.10 CLI takes 50-100 ms per call, too coarse for convergence): one GET over the
 * daemon's Unix socket, answering the status code. The socket is a file; no network is used.
 */
final class MeshDockerApi {
    private MeshDockerApi() {
    }

    /** {@code GET path} on the daemon at {@code socket}; the HTTP status, or -1 on an I/O error. */
    static int status(Path socket, String path) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            String req = "GET " + path + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";
            ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(256);
            StringBuilder sb = new StringBuilder();
            while (sb.indexOf("\r\n") < 0) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                sb.append(new String(buf.array(), 0, n, StandardCharsets.US_ASCII));
            }
            String[] f = sb.toString().split(" ");
            return f.length > 1 ? Integer.parseInt(f[1]) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
