package io.jweave.tunnel.noise;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF with HMAC-SHA256 (RFC 5869), and the Noise framework's HKDF built on it. */
public final class Hkdf {
    public static final int HASH_LEN = 32;

    private Hkdf() {}

    /** HMAC-SHA256(key, data...). */
    public static byte[] hmac(byte[] key, byte[]... data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            // A zero-length salt is HashLen zero bytes (RFC 5869 2.2); HMAC pads keys with zeros anyway.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[HASH_LEN] : key, "HmacSHA256"));
            for (byte[] d : data) {
                mac.update(d);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** RFC 5869 HKDF-Extract. */
    public static byte[] extract(byte[] salt, byte[] ikm) {
        return hmac(salt, ikm);
    }

    /** RFC 5869 HKDF-Expand. */
    public static byte[] expand(byte[] prk, byte[] info, int length) {
        if (length < 0 || length > 255 * HASH_LEN) {
            throw new IllegalArgumentException("length " + length);
        }
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int done = 0;
        for (int i = 1; done < length; i++) {
            t = hmac(prk, t, info, new byte[] {(byte) i});
            int n = Math.min(HASH_LEN, length - done);
            System.arraycopy(t, 0, out, done, n);
            done += n;
        }
        return out;
    }

    /**
     * Noise HKDF(chaining_key, input_key_material, num_outputs): RFC 5869 with the chaining key as salt
     * and an empty info, cut into {@code outputs} 32-byte values.
     */
    public static byte[][] noise(byte[] chainingKey, byte[] ikm, int outputs) {
        if (outputs != 2 && outputs != 3) {
            throw new IllegalArgumentException("outputs " + outputs);
        }
        byte[] okm = expand(extract(chainingKey, ikm), new byte[0], outputs * HASH_LEN);
        byte[][] r = new byte[outputs][HASH_LEN];
        for (int i = 0; i < outputs; i++) {
            System.arraycopy(okm, i * HASH_LEN, r[i], 0, HASH_LEN);
        }
        return r;
    }
}
