package io.jweave.tunnel.noise;

import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Noise HandshakeState for exactly one pattern, NNpsk2 (Noise rev 34):
 * <pre>
 *   -> e
 *   <- e, ee, psk
 * </pre>
 * As in every psk handshake, the {@code e} token also does MixKey(e.pub), so the first message's
 * payload is encrypted (with a key derived from public values only: it authenticates nothing).
 */
public final class HandshakeState {
    public static final String PROTOCOL = "Noise_NNpsk2_25519_AESGCM_SHA256";
    private static final int DH_LEN = X25519.KEY_LEN;

    private final boolean initiator;
    private final SymmetricState ss = new SymmetricState(PROTOCOL);
    private final byte[] psk;
    private X25519.KeyPair e;
    private byte[] re;
    private int step;

    private HandshakeState(boolean initiator, byte[] prologue, byte[] psk, X25519.KeyPair ephemeral) {
        if (psk == null || psk.length != 32) {
            throw new IllegalArgumentException("psk must be 32 bytes");
        }
        this.initiator = initiator;
        this.psk = psk.clone();
        this.e = ephemeral;
        ss.mixHash(prologue);
    }

    /** @param ephemeral null for a fresh one; a fixed key pair only in tests */
    public static HandshakeState initiator(byte[] prologue, byte[] psk, X25519.KeyPair ephemeral) {
        return new HandshakeState(true, prologue, psk, ephemeral);
    }

    public static HandshakeState responder(byte[] prologue, byte[] psk, X25519.KeyPair ephemeral) {
        return new HandshakeState(false, prologue, psk, ephemeral);
    }

    public boolean isInitiator() {
        return initiator;
    }

    public boolean isComplete() {
        return step == 2;
    }

    /** Writes the next message: msg1 if initiator, msg2 if responder. */
    public byte[] writeMessage(byte[] payload) throws GeneralSecurityException {
        boolean mine = (step == 0) == initiator;
        if (!mine || step >= 2) {
            throw new IllegalStateException("not this side's turn to write");
        }
        if (e == null) {
            e = X25519.generate();
        }
        byte[] epub = e.publicKey();
        ss.mixHash(epub);
        ss.mixKey(epub);
        if (step == 1) {
            ss.mixKey(X25519.dh(e.privateKey(), re)); // ee
            ss.mixKeyAndHash(psk);                     // psk
        }
        byte[] ct = ss.encryptAndHash(payload);
        byte[] msg = new byte[DH_LEN + ct.length];
        System.arraycopy(epub, 0, msg, 0, DH_LEN);
        System.arraycopy(ct, 0, msg, DH_LEN, ct.length);
        step++;
        return msg;
    }

    /** Reads the next message; throws (leaving this state unusable) if it does not authenticate. */
    public byte[] readMessage(byte[] message) throws GeneralSecurityException {
        boolean theirs = (step == 0) != initiator;
        if (!theirs || step >= 2) {
            throw new IllegalStateException("not this side's turn to read");
        }
        if (message.length < DH_LEN + CipherState.TAG_LEN) {
            step = 3; // unusable
            throw new GeneralSecurityException("handshake message too short");
        }
        try {
            re = Arrays.copyOfRange(message, 0, DH_LEN);
            ss.mixHash(re);
            ss.mixKey(re);
            if (step == 1) {
                ss.mixKey(X25519.dh(e.privateKey(), re)); // ee
                ss.mixKeyAndHash(psk);                     // psk
            }
            byte[] pt = ss.decryptAndHash(Arrays.copyOfRange(message, DH_LEN, message.length));
            step++;
            return pt;
        } catch (GeneralSecurityException ex) {
            step = 3;
            throw ex;
        }
    }

    /** After the handshake: [initiator-to-responder, responder-to-initiator]. */
    public CipherState[] split() {
        if (!isComplete()) {
            throw new IllegalStateException("handshake not complete");
        }
        CipherState[] r = ss.split();
        Arrays.fill(psk, (byte) 0);
        if (e != null) {
            e.destroy();
        }
        return r;
    }

    public byte[] handshakeHash() {
        return ss.handshakeHash();
    }

    @Override
    public String toString() {
        return "HandshakeState[" + PROTOCOL + ", " + (initiator ? "initiator" : "responder") + ", step " + step + "]";
    }
}
