package io.jweave.plugin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/** File-system side of the plugin socket: stale detection, mode, group, identity. */
final class PluginSocketFile {
    private static final Logger log = LoggerFactory.getLogger(PluginSocketFile.class);

    /** {@code sizeof(sun_path) - 1} on Linux. */
    static final int MAX_PATH_BYTES = 107;

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private PluginSocketFile() {
    }

    static boolean fits(Path path) {
        return path.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_PATH_BYTES;
    }

    /**
     * Makes {@code path} free for a new socket: nothing there is fine; a socket nobody listens on
     * (left by a crash) is removed; a socket that accepts a connection means another live server,
     * and anything that is not a socket is left alone. Both of the latter refuse.
     */
    static void clearStale(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(path)) {
            throw new IOException(path + " exists and is not a socket; refusing to replace it");
        }
        if (answers(path)) {
            throw new SocketInUseException(path);
        }
        try {
            Files.delete(path);
            log.info("removed stale plugin socket {} (nobody was listening)", path);
        } catch (NoSuchFileException e) {
            // someone else removed it meanwhile: fine
        }
    }

    static boolean isSocket(Path path) throws IOException {
        Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return mode instanceof Integer m && (m & S_IFMT) == S_IFSOCK;
    }

    /** Whether something accepts connections on the socket at {@code path}. */
    static boolean answers(Path path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // Non-blocking, so a full accept backlog cannot hang us: pending also means "alive".
            ch.configureBlocking(false);
            ch.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            throw new IOException("cannot tell whether a server is listening on " + path + ": " + e.getMessage(), e);
        }
    }

    /** Mode 0660 and, if given, the group. */
    static void secure(Path path, String group) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        if (!group.isEmpty()) {
            GroupPrincipal principal = path.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(group);
            Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setGroup(principal);
        }
    }

    /** Identity (device + inode) of the file at {@code path}, or null if there is none. */
    static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Removes {@code path} only if it is still the file we created. */
    static void removeIfOurs(Path path, Object ourKey) {
        Object current = fileKey(path);
        if (current == null) {
            return;
        }
        if (ourKey != null && !Objects.equals(current, ourKey)) {
            log.warn("plugin socket {} was replaced by someone else; leaving it", path);
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not remove plugin socket {}: {}", path, e.toString());
        }
    }
}
