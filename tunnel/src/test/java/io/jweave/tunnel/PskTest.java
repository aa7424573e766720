package io.jweave.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.Test;

class PskTest {
    @Test
    void pbkdf2AndTiming() throws Exception {
        byte[] pw = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
        long c0 = System.nanoTime();
        Psk.fromPassword(pw, "jweave"); // the first call is also the warm-up
        System.out.printf("Psk.fromPassword: first (cold) call %.0f ms%n", (System.nanoTime() - c0) / 1e6);
        long best = Long.MAX_VALUE;
        long worst = 0;
        Psk k = null;
        for (int i = 0; i < 5; i++) {
            long t = System.nanoTime();
            k = Psk.fromPassword(pw, "jweave");
            long d = System.nanoTime() - t;
            best = Math.min(best, d);
            worst = Math.max(worst, d);
        }
        System.out.printf("Psk.fromPassword: %d iterations in %.0f-%.0f ms%n", Psk.ITERATIONS, best / 1e6, worst / 1e6);
        byte[] expected = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec("correct horse battery staple".toCharArray(),
                        "jweave".getBytes(StandardCharsets.UTF_8), Psk.ITERATIONS, 256)).getEncoded();
        assertArrayEquals(expected, k.bytes());
        assertEquals(32, k.bytes().length);
        assertFalse(k.toString().contains(HexFormat.of().formatHex(k.bytes()).substring(0, 8)));
        assertThrows(IllegalArgumentException.class, () -> Psk.fromPassword(new byte[] {(byte) 0xff}, "s"));
        assertThrows(IllegalArgumentException.class, () -> Psk.fromPassword(new byte[0], "s"));
    }
}
