package io.jweave.tunnel.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class NoiseVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] h(String s) {
        return HEX.parseHex(s);
    }

    @Test
    void hkdfRfc5869Case1() {
        byte[] ikm = h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] prk = Hkdf.extract(h("000102030405060708090a0b0c"), ikm);
        assertEquals("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", HEX.formatHex(prk));
        assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
                HEX.formatHex(Hkdf.expand(prk, h("f0f1f2f3f4f5f6f7f8f9"), 42)));
    }

    @Test
    void hkdfRfc5869Case2LongInputs() {
        byte[] ikm = new byte[80];
        byte[] salt = new byte[80];
        byte[] info = new byte[80];
        for (int i = 0; i < 80; i++) {
            ikm[i] = (byte) i;
            salt[i] = (byte) (0x60 + i);
            info[i] = (byte) (0xb0 + i);
        }
        byte[] prk = Hkdf.extract(salt, ikm);
        assertEquals("06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244", HEX.formatHex(prk));
        assertEquals("b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
                HEX.formatHex(Hkdf.expand(prk, info, 82)));
    }

    @Test
    void hkdfRfc5869Case3EmptySaltAndInfo() {
        byte[] ikm = h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] prk = Hkdf.extract(new byte[0], ikm);
        assertEquals("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", HEX.formatHex(prk));
        assertEquals("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
                HEX.formatHex(Hkdf.expand(prk, new byte[0], 42)));
    }

    @Test
    void x25519Rfc7748() throws GeneralSecurityException {
        // RFC 7748 5.2, first function test vector
        assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
                HEX.formatHex(X25519.dh(h("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                        h("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))));
        // RFC 7748 6.1, Diffie-Hellman
        X25519.KeyPair alice = X25519.fromPrivate(h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        X25519.KeyPair bob = X25519.fromPrivate(h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", HEX.formatHex(alice.publicKey()));
        assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", HEX.formatHex(bob.publicKey()));
        String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertEquals(shared, HEX.formatHex(X25519.dh(alice.privateKey(), bob.publicKey())));
        assertEquals(shared, HEX.formatHex(X25519.dh(bob.privateKey(), alice.publicKey())));
        assertTrue(!alice.toString().contains("77076d"));
    }

    @Test
    void x25519RejectsLowOrderPoint() {
        X25519.KeyPair k = X25519.generate();
        assertThrows(GeneralSecurityException.class, () -> X25519.dh(k.privateKey(), new byte[32]));
    }

    static Properties vector() throws Exception {
        Properties p = new Properties();
        try (InputStream in = NoiseVectorsTest.class.getResourceAsStream("/noise-vector-NNpsk2_25519_AESGCM_SHA256.properties")) {
            p.load(in);
        }
        return p;
    }

    @Test
    void cacophonyVector() throws Exception {
        Properties v = vector();
        assertEquals(HandshakeState.PROTOCOL, v.getProperty("protocol_name"));
        byte[] prologue = h(v.getProperty("prologue"));
        byte[] psk = h(v.getProperty("psk"));
        HandshakeState init = HandshakeState.initiator(prologue, psk, X25519.fromPrivate(h(v.getProperty("init_ephemeral"))));
        HandshakeState resp = HandshakeState.responder(prologue, psk, X25519.fromPrivate(h(v.getProperty("resp_ephemeral"))));

        byte[] m0 = init.writeMessage(h(v.getProperty("payload.0")));
        assertEquals(v.getProperty("ciphertext.0"), HEX.formatHex(m0));
        assertEquals(v.getProperty("payload.0"), HEX.formatHex(resp.readMessage(m0)));
        byte[] m1 = resp.writeMessage(h(v.getProperty("payload.1")));
        assertEquals(v.getProperty("ciphertext.1"), HEX.formatHex(m1));
        assertEquals(v.getProperty("payload.1"), HEX.formatHex(init.readMessage(m1)));
        assertTrue(init.isComplete() && resp.isComplete());
        assertEquals(v.getProperty("handshake_hash"), HEX.formatHex(init.handshakeHash()));
        assertEquals(v.getProperty("handshake_hash"), HEX.formatHex(resp.handshakeHash()));

        CipherState[] ic = init.split();
        CipherState[] rc = resp.split();
        for (int i = 2; i <= 5; i++) {
            boolean fromInitiator = i % 2 == 0;
            CipherState enc = fromInitiator ? ic[0] : rc[1];
            CipherState dec = fromInitiator ? rc[0] : ic[1];
            byte[] ct = enc.encryptWithAd(new byte[0], h(v.getProperty("payload." + i)));
            assertEquals(v.getProperty("ciphertext." + i), HEX.formatHex(ct), "message " + i);
            assertArrayEquals(h(v.getProperty("payload." + i)), dec.decryptWithAd(new byte[0], ct));
        }
    }

    @Test
    void wrongPskFailsAtResponse() throws Exception {
        byte[] pro = "p".getBytes();
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        b[0] = 1;
        HandshakeState init = HandshakeState.initiator(pro, a, null);
        HandshakeState resp = HandshakeState.responder(pro, b, null);
        resp.readMessage(init.writeMessage(new byte[0]));
        byte[] m1 = resp.writeMessage(new byte[0]);
        assertThrows(GeneralSecurityException.class, () -> init.readMessage(m1));
    }
}
