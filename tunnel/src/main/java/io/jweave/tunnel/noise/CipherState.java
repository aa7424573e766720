package io.jweave.tunnel.noise;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Noise CipherState with AESGCM: 256-bit key, nonce = 4 zero bytes followed by the 64-bit
 * big-endian counter, 128-bit tag. Not thread-safe.
 */
public final class CipherState {
    public static final int TAG_LEN = 16;
    private SecretKeySpec key;
    private long n;
    private Cipher cipher;

    public void initializeKey(byte[] k) {
        key = k == null ? null : new SecretKeySpec(k, "AES");
        n = 0;
    }

    public boolean hasKey() {
        return key != null;
    }

    public void setNonce(long nonce) {
        n = nonce;
    }

    /** The key, for handing over to a transport session after Split. */
    public SecretKeySpec key() {
        return key;
    }

    public static byte[] nonce(long counter) {
        byte[] iv = new byte[12];
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (counter >>> (56 - 8 * i));
        }
        return iv;
    }

    public byte[] encryptWithAd(byte[] ad, byte[] plaintext) throws GeneralSecurityException {
        if (key == null) {
            return plaintext.clone();
        }
        if (n == -1L) {
            throw new GeneralSecurityException("nonce exhausted");
        }
        Cipher c = cipher();
        c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce(n)));
        c.updateAAD(ad);
        byte[] out = c.doFinal(plaintext);
        n++;
        return out;
    }

    public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) throws GeneralSecurityException {
        if (key == null) {
            return ciphertext.clone();
        }
        if (n == -1L) {
            throw new GeneralSecurityException("nonce exhausted");
        }
        Cipher c = cipher();
        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce(n)));
        c.updateAAD(ad);
        byte[] out = c.doFinal(ciphertext); // AEADBadTagException leaves n unchanged
        n++;
        return out;
    }

    private Cipher cipher() throws GeneralSecurityException {
        if (cipher == null) {
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
        }
        return cipher;
    }

    @Override
    public String toString() {
        return "CipherState[key=" + (key == null ? "none" : "<redacted>") + ", n=" + n + "]";
    }
}
