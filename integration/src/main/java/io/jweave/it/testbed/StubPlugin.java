package io.jweave.it.testbed;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A do-nothing Docker network-driver plugin on a unix socket, for checking that a simulated host's
 * dockerd finds the plugin at {@link SimHost#pluginSocket()} (not a stand-in for jweave). It answers
 * {@code Plugin.Activate} with NetworkDriver, {@code NetworkDriver.GetCapabilities} with local scope,
 * and every other call with {@code {}}; it records the paths called.
 */
public final class StubPlugin implements AutoCloseable {

    private static final Map<String, String> ANSWERS = Map.of(
            "/Plugin.Activate", "{\"Implements\":[\"NetworkDriver\"]}",
            "/NetworkDriver.GetCapabilities", "{\"Scope\":\"local\",\"ConnectivityScope\":\"local\"}");

    private final Path socket;
    private final ServerSocketChannel server;
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private StubPlugin(Path socket) throws IOException {
        this.socket = socket;
        Files.deleteIfExists(socket);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        this.acceptor = new Thread(this::acceptLoop, "stub-plugin-" + socket.getFileName());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on the host's plugin socket. */
    public static StubPlugin serve(SimHost host) {
        try {
            return new StubPlugin(host.pluginSocket());
        } catch (IOException e) {
            throw new TestbedException("cannot listen on " + host.pluginSocket(), e);
        }
    }

    /** Paths called so far, e.g. "/Plugin.Activate", in order. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                Thread t = new Thread(() -> serve(ch), "stub-plugin-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch; InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
             OutputStream out = Channels.newOutputStream(ch)) {
            while (true) {
                String requestLine = line(in);
                if (requestLine == null || requestLine.isEmpty()) {
                    return;
                }
                int length = 0;
                for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                    String lower = h.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(h.indexOf(':') + 1).strip());
                    }
                }
                in.readNBytes(length);
                String path = requestLine.split(" ")[1];
                calls.add(path);
                byte[] body = ANSWERS.getOrDefault(path, "{}").getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.plugins.v1+json\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // connection closed by dockerd
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            throw new TestbedException("cannot close stub plugin on " + socket, e);
        }
    }
}
