package io.jweave.tunnel;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/** The 32-byte pre-shared key of the Noise handshake. Its toString never shows the key. */
public final class Psk {
    /**
     * PBKDF2-HMAC-SHA256 iterations: 250 000 take about 110-250 ms (warm) on this project's 2-vCPU test host;
     * the first, cold call of a JVM takes longer
     * (measured by PskTest, see README).
     */
    public static final int ITERATIONS = 250_000;
    public static final int LENGTH = 32;

    /**
     * The key of open mode (a mesh without a password): SHA-256("jweave-open-mesh-v1"). It is published, so it
     * authenticates nothing; sessions keyed by it still get fresh ephemeral DH keys, which keeps passive
     * eavesdroppers out but not an active man in the middle.
     */
    public static final Psk OPEN_MESH = new Psk(sha256("jweave-open-mesh-v1"));

    private final byte[] key;

    private Psk(byte[] key) {
        this.key = key;
    }

    /**
     * PBKDF2-HMAC-SHA256(password, salt, {@link #ITERATIONS}), 32 bytes. The JDK's PBKDF2 takes
     * characters and encodes them as UTF-8, so the password must be valid UTF-8.
     */
    public static Psk fromPassword(byte[] password, String salt) {
        if (password == null || password.length == 0) {
            throw new IllegalArgumentException("empty password");
        }
        char[] chars;
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(password));
            chars = new char[cb.remaining()];
            cb.get(chars);
            Arrays.fill(cb.array(), '\0');
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the password is not valid UTF-8");
        }
        PBEKeySpec spec = new PBEKeySpec(chars, salt.getBytes(StandardCharsets.UTF_8), ITERATIONS, LENGTH * 8);
        try {
            byte[] k = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            return new Psk(k);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(chars, '\0');
        }
    }

    /** A PSK from 32 raw bytes (tests, or a key file). */
    public static Psk ofKey(byte[] key) {
        if (key == null || key.length != LENGTH) {
            throw new IllegalArgumentException("a PSK is 32 bytes");
        }
        return new Psk(key.clone());
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    byte[] bytes() {
        return key.clone();
    }

    @Override
    public String toString() {
        return "Psk[<redacted>]";
    }
}
