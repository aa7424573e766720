package io.jweave.plugin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The socket file's life: creation, mode, stale files, a second server, removal. */
class PluginServerSocketTest {
    @TempDir
    Path dir;

    private PluginServer server(Path socket) {
        RecordingDriver d = new RecordingDriver();
        return new PluginServer(d, d, PluginServerConfig.defaults().withSocketPath(socket));
    }

    private static int activate(Path socket) throws IOException {
        try (UnixHttp http = new UnixHttp(socket)) {
            return http.post("/Plugin.Activate", "").status();
        }
    }

    @Test
    void createsParentDirectorySocketWithMode0660AndNoLeftovers() throws IOException {
        Path socket = dir.resolve("run/docker/plugins/jweave.sock");
        try (PluginServer s = server(socket)) {
            s.start();
            assertTrue(s.isRunning());
            assertTrue(PluginSocketFile.isSocket(socket));
            assertEquals(PosixFilePermissions.fromString("rw-rw----"),
                    Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS));
            String me = System.getProperty("user.name");
            assertEquals(me, Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS).getName());
            // Only the socket is in the directory: the temporary bind name is gone.
            try (Stream<Path> files = Files.list(socket.getParent())) {
                assertEquals(List.of(socket), files.toList());
            }
            assertEquals(200, activate(socket));
        }
    }

    @Test
    void socketIsRemovedOnCloseAndCloseIsIdempotent() throws IOException {
        Path socket = dir.resolve("jweave.sock");
        PluginServer s = server(socket);
        s.start();
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        s.close();
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        assertFalse(s.isRunning());
        s.close();
        assertThrows(IllegalStateException.class, s::start);
    }

    @Test
    void staleSocketFromACrashIsReplaced() throws IOException {
        Path socket = dir.resolve("jweave.sock");
        // A socket file nobody listens on: what a killed server leaves behind (the JDK does not unlink).
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(PluginSocketFile.isSocket(socket));
        assertFalse(PluginSocketFile.answers(socket));
        try (PluginServer s = server(socket)) {
            s.start();
            assertEquals(200, activate(socket));
        }
    }

    @Test
    void secondServerOnALivePathIsRefusedAndTheFirstKeepsServing() throws IOException {
        Path socket = dir.resolve("jweave.sock");
        try (PluginServer first = server(socket)) {
            first.start();
            Object inode = PluginSocketFile.fileKey(socket);
            PluginServer second = server(socket);
            SocketInUseException e = assertThrows(SocketInUseException.class, second::start);
            assertEquals(socket, e.path());
            assertFalse(second.isRunning());
            second.close();
            // The refused server neither removed nor replaced the first one's socket.
            assertEquals(inode, PluginSocketFile.fileKey(socket));
            assertEquals(200, activate(socket));
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aSocketOwnedBySomeoneElseIsNotRemovedOnClose() throws IOException {
        Path socket = dir.resolve("jweave.sock");
        PluginServer s = server(socket);
        s.start();
        // Someone replaced our socket file (e.g. a newer server after ours was declared dead).
        Files.delete(socket);
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            s.close();
            assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        }
    }

    @Test
    void aNonSocketFileInTheWayIsLeftAlone() throws IOException {
        Path socket = dir.resolve("jweave.sock");
        Files.writeString(socket, "precious");
        PluginServer s = server(socket);
        IOException e = assertThrows(IOException.class, s::start);
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertEquals("precious", Files.readString(socket));
        s.close();
    }

    @Test
    void tooLongPathIsAClearError() {
        Path socket = dir.resolve("x".repeat(120) + ".sock");
        PluginServer s = server(socket);
        IOException e = assertThrows(IOException.class, s::start);
        assertTrue(e.getMessage().contains("longer than 107 bytes"), e.getMessage());
    }

    @Test
    void restartOnTheSamePathWorks() throws IOException {
        Path socket = dir.resolve("jweave.sock");
        for (int i = 0; i < 3; i++) {
            try (PluginServer s = server(socket)) {
                s.start();
                assertEquals(200, activate(socket));
            }
        }
    }
}
