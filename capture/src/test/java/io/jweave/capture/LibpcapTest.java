package io.jweave.capture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Finding and loading libpcap (installed here: libpcap0.8), and the message when it is missing. */
class LibpcapTest {

    @Test
    void findsTheInstalledLibraryAndNamesWhatIsMissing() {
        assertTrue(Libpcap.find(List.of("/nonexistent")).isEmpty());
        String missing = Libpcap.missing(List.of("/nonexistent")).getMessage();
        assertTrue(missing.contains("install libpcap0.8") && missing.contains("/nonexistent")
                && missing.contains("libpcap.so.0.8"), missing);
        assertTrue(Libpcap.find(Libpcap.DIRS).isPresent(), "libpcap0.8 installed");
        String version = Libpcap.ensureLoaded();
        assertTrue(version.contains("libpcap"), version);
    }
}
