package io.jweave.tunnel.noise;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/** X25519 (RFC 7748) on raw 32-byte keys, computed by the JDK's XDH provider. */
public final class X25519 {
    public static final int KEY_LEN = 32;
    private static final byte[] BASE_POINT = new byte[KEY_LEN];
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        BASE_POINT[0] = 9;
    }

    private X25519() {}

    /** A key pair; the private half never appears in toString. */
    public static final class KeyPair {
        private final byte[] privateKey;
        private final byte[] publicKey;

        private KeyPair(byte[] privateKey, byte[] publicKey) {
            this.privateKey = privateKey;
            this.publicKey = publicKey;
        }

        public byte[] publicKey() {
            return publicKey.clone();
        }

        byte[] privateKey() {
            return privateKey;
        }

        void destroy() {
            Arrays.fill(privateKey, (byte) 0);
        }

        @Override
        public String toString() {
            return "X25519.KeyPair[private=<redacted>]";
        }
    }

    /** A fresh key pair: 32 random bytes as the scalar (clamped by X25519 itself). */
    public static KeyPair generate() {
        byte[] priv = new byte[KEY_LEN];
        RANDOM.nextBytes(priv);
        return fromPrivate(priv);
    }

    /** The key pair of a given private scalar (for test vectors). */
    public static KeyPair fromPrivate(byte[] privateKey) {
        if (privateKey.length != KEY_LEN) {
            throw new IllegalArgumentException("X25519 private key must be 32 bytes");
        }
        try {
            byte[] priv = privateKey.clone();
            return new KeyPair(priv, dh(priv, BASE_POINT));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 of the base point failed", e);
        }
    }

    /**
     * X25519(scalar, u). Fails (GeneralSecurityException) on a low-order peer key, whose result
     * would be all zeros.
     */
    public static byte[] dh(byte[] privateKey, byte[] publicKey) throws GeneralSecurityException {
        if (privateKey.length != KEY_LEN || publicKey.length != KEY_LEN) {
            throw new GeneralSecurityException("X25519 keys must be 32 bytes");
        }
        KeyFactory kf = KeyFactory.getInstance("XDH");
        PrivateKey priv = kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey));
        PublicKey pub = kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, decodeU(publicKey)));
        KeyAgreement ka = KeyAgreement.getInstance("XDH");
        ka.init(priv);
        ka.doPhase(pub, true);
        try {
            return ka.generateSecret();
        } catch (IllegalStateException e) {
            // The JDK refuses an all-zero shared secret (small-order point) this way.
            throw new GeneralSecurityException("X25519 result rejected: " + e.getMessage());
        }
    }

    /** RFC 7748 decodeUCoordinate: little-endian, the top bit masked. */
    static BigInteger decodeU(byte[] u) {
        byte[] be = new byte[KEY_LEN];
        for (int i = 0; i < KEY_LEN; i++) {
            be[i] = u[KEY_LEN - 1 - i];
        }
        be[0] &= 0x7f;
        return new BigInteger(1, be);
    }
}
