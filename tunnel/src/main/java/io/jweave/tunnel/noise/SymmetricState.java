package io.jweave.tunnel.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Noise SymmetricState with SHA-256. Not thread-safe. */
public final class SymmetricState {
    private final CipherState cs = new CipherState();
    private byte[] ck;
    private byte[] h;

    public SymmetricState(String protocolName) {
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        if (name.length <= Hkdf.HASH_LEN) {
            h = new byte[Hkdf.HASH_LEN];
            System.arraycopy(name, 0, h, 0, name.length);
        } else {
            h = sha256(name);
        }
        ck = h.clone();
    }

    public void mixKey(byte[] ikm) {
        byte[][] out = Hkdf.noise(ck, ikm, 2);
        ck = out[0];
        cs.initializeKey(out[1]);
    }

    public void mixHash(byte[] data) {
        h = sha256(h, data);
    }

    public void mixKeyAndHash(byte[] ikm) {
        byte[][] out = Hkdf.noise(ck, ikm, 3);
        ck = out[0];
        mixHash(out[1]);
        cs.initializeKey(out[2]);
    }

    public byte[] handshakeHash() {
        return h.clone();
    }

    public byte[] encryptAndHash(byte[] plaintext) throws GeneralSecurityException {
        byte[] ct = cs.encryptWithAd(h, plaintext);
        mixHash(ct);
        return ct;
    }

    public byte[] decryptAndHash(byte[] ciphertext) throws GeneralSecurityException {
        byte[] pt = cs.decryptWithAd(h, ciphertext);
        mixHash(ciphertext);
        return pt;
    }

    public boolean hasKey() {
        return cs.hasKey();
    }

    /** Split(): two CipherStates, the first for initiator-to-responder traffic. */
    public CipherState[] split() {
        byte[][] out = Hkdf.noise(ck, new byte[0], 2);
        CipherState c1 = new CipherState();
        CipherState c2 = new CipherState();
        c1.initializeKey(out[0]);
        c2.initializeKey(out[1]);
        return new CipherState[] {c1, c2};
    }

    static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "SymmetricState[<redacted>]";
    }
}
