package io.jweave.router;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's shared secret ({@code jweave launch --password-file FILE} or {@code JWEAVE_PASSWORD}):
 * every router of a mesh has the same one, and with it the mesh is private (the encrypted tunnel).
 *
 * <p>The secret never shows: {@link #toString()} is {@code MeshPassword[redacted]} (so a
 * {@link RouterConfig} printed or serialised by Jackson does not reveal it), and there is no
 * accessor but {@link #bytes()}, which returns a copy for the key derivation. {@link #clear()}
 * overwrites the bytes once they are no longer needed.
 *
 * <p>A password file is checked as ssh checks a private key: it must be a regular file, readable,
 * not empty, and with no permission for group or others (mode 0600 or 0400). A password shorter
 * than {@value #WEAK_BELOW} characters is accepted with one warning: the mesh's handshake can be
 * recorded and the password guessed offline.
 */
@JsonSerialize(using = ToStringSerializer.class)
public final class MeshPassword {
    /** The environment variable holding the password when no --password-file is given (as Weave's WEAVE_PASSWORD). */
    public static final String ENV = "JWEAVE_PASSWORD";
    /** Passwords shorter than this many characters start with a warning. */
    public static final int WEAK_BELOW = 12;

    private static final Logger log = LoggerFactory.getLogger(MeshPassword.class);
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final byte[] secret;
    private final boolean weak;
    private volatile boolean cleared;

    private MeshPassword(byte[] secret, String source) {
        this.secret = secret;
        this.weak = characters(secret) < WEAK_BELOW;
        if (weak) {
            log.warn("the mesh password ({}) is shorter than {} characters: anyone who records the mesh's traffic can "
                    + "try to guess it offline; use a long random one (e.g. openssl rand -base64 24)", source, WEAK_BELOW);
        }
    }

    /**
     * A password given directly (tests, and the test bed). Refused when empty or whitespace only.
     *
     * @throws IllegalArgumentException when empty
     */
    public static MeshPassword of(String password) {
        byte[] b = password.getBytes(StandardCharsets.UTF_8);
        if (blank(b)) {
            throw new IllegalArgumentException("the mesh password is empty");
        }
        return new MeshPassword(b, "given");
    }

    /**
     * Reads and checks a password file: a regular, readable, non-empty file with no permission for
     * group or others. One trailing {@code "\n"} or {@code "\r\n"} is not part of the password.
     *
     * @throws IllegalArgumentException with a one-line reason naming the file when it is refused
     */
    public static MeshPassword fromFile(Path file) {
        PosixFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw refused(file, "does not exist");
        } catch (AccessDeniedException e) {
            throw refused(file, "cannot be read (permission denied)");
        } catch (IOException e) {
            throw refused(file, "cannot be read (" + reason(e) + ")");
        }
        if (attrs.isDirectory()) {
            throw refused(file, "is a directory, not a file");
        }
        if (!attrs.isRegularFile()) {
            throw refused(file, "is not a regular file");
        }
        Set<PosixFilePermission> perms = attrs.permissions();
        if (perms.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
            boolean readable = perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ);
            throw refused(file, "is " + (readable ? "readable" : "writable") + " by group or others (mode "
                    + mode(perms) + "): run chmod 600 " + file);
        }
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (AccessDeniedException e) {
            throw refused(file, "cannot be read (permission denied)");
        } catch (IOException e) {
            throw refused(file, "cannot be read (" + reason(e) + ")");
        }
        byte[] secret = withoutOneNewline(raw);
        Arrays.fill(raw, (byte) 0);
        if (blank(secret)) {
            Arrays.fill(secret, (byte) 0);
            throw refused(file, raw.length == 0 ? "is empty" : "is empty (only whitespace)");
        }
        return new MeshPassword(secret, "password file " + file);
    }

    /**
     * The password of {@value #ENV} in {@code env}, if the variable is set. One trailing newline is
     * not part of it, as in a file.
     *
     * @throws IllegalArgumentException when it is set but empty (or whitespace only)
     */
    public static Optional<MeshPassword> fromEnvironment(Map<String, String> env) {
        String v = env.get(ENV);
        if (v == null) {
            return Optional.empty();
        }
        byte[] secret = withoutOneNewline(v.getBytes(StandardCharsets.UTF_8));
        if (blank(secret)) {
            throw new IllegalArgumentException(ENV + " is set but empty: set it to the mesh's password, or unset it "
                    + "to run without one");
        }
        return Optional.of(new MeshPassword(secret, ENV));
    }

    /**
     * The password of a router: {@code file} when given (it wins over the environment, which is
     * then not looked at), else {@value #ENV}, else none.
     */
    public static Optional<MeshPassword> resolve(Path file, Map<String, String> env) {
        return file != null ? Optional.of(fromFile(file)) : fromEnvironment(env);
    }

    /** A copy of the secret (UTF-8 as given). */
    public byte[] bytes() {
        if (cleared) {
            throw new IllegalStateException("the mesh password was cleared");
        }
        return secret.clone();
    }

    /** Whether it is shorter than {@value #WEAK_BELOW} characters (a warning was logged). */
    public boolean weak() {
        return weak;
    }

    /** Overwrites the secret; {@link #bytes()} fails afterwards. */
    public void clear() {
        Arrays.fill(secret, (byte) 0);
        cleared = true;
    }

    /** Same secret, compared in constant time. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MeshPassword p && !cleared && !p.cleared && MessageDigest.isEqual(secret, p.secret);
    }

    /** Constant: a hash of the secret would tell something about it. */
    @Override
    public int hashCode() {
        return 0x6a77;
    }

    @Override
    public String toString() {
        return "MeshPassword[redacted]";
    }

    // ---------------------------------------------------------------- helpers

    private static IllegalArgumentException refused(Path file, String what) {
        return new IllegalArgumentException("password file " + file + " " + what);
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        // FileSystemException messages start with the path: keep only the reason
        int colon = m.lastIndexOf(": ");
        return colon >= 0 ? m.substring(colon + 2) : m;
    }

    /** {@code 0644}-style octal mode of the permission bits. */
    static String mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal()); // OWNER_READ is ordinal 0 = bit 8
        }
        return String.format("%04o", m);
    }

    private static byte[] withoutOneNewline(byte[] b) {
        int n = b.length;
        if (n >= 2 && b[n - 2] == '\r' && b[n - 1] == '\n') {
            n -= 2;
        } else if (n >= 1 && b[n - 1] == '\n') {
            n -= 1;
        }
        return Arrays.copyOf(b, n);
    }

    private static boolean blank(byte[] b) {
        for (byte x : b) {
            if (x != ' ' && x != '\t' && x != '\n' && x != '\r' && x != 0x0b && x != '\f') {
                return false;
            }
        }
        return true;
    }

    /** Characters (code points) of the UTF-8 secret; bytes when it is not valid UTF-8. */
    private static int characters(byte[] b) {
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            int n = Character.codePointCount(cb, 0, cb.length());
            Arrays.fill(cb.array(), '\0');
            return n;
        } catch (CharacterCodingException e) {
            return b.length;
        }
    }
}
