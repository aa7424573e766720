package io.jweave.router.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Asks a plugin socket {@code Plugin.Activate}, as Docker does first, to see whether a router answers. */
final class PluginProbe {
    private PluginProbe() {
    }

    static boolean answers(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(("POST /Plugin.Activate HTTP/1.1\r\nHost: plugin.moby.localhost\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(512);
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                String s = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
                if (s.contains("\r\n")) {
                    return s.startsWith("HTTP/1.1 200");
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
