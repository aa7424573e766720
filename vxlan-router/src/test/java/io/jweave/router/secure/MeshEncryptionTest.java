package io.jweave.router.secure;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MeshEncryptionTest {

    @Test
    void theLastTieredStopAtLevelDecidesWhetherTheJvmIsC1Only() {
        assertTrue(MeshEncryption.c1Only(List.of("-Xmx128m", "-XX:TieredStopAtLevel=1")));
        assertFalse(MeshEncryption.c1Only(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=4")));
        assertFalse(MeshEncryption.c1Only(List.of("-Xmx128m")));
        assertTrue(MeshEncryption.c1Only(List.of("-XX:TieredStopAtLevel=4", "-XX:TieredStopAtLevel=3")));
    }
}
