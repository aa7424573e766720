package io.jweave.capture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.pcap4j.core.Pcaps;

/**
 * Loads libpcap for pcap4j, with a clear message when it is missing. pcap4j asks JNA for "pcap";
 * Debian ships {@code libpcap.so.0.8} (no unversioned {@code libpcap.so} without the -dev package),
 * so unless {@code -Dorg.pcap4j.core.pcapLibName} is given, the file found here is named explicitly.
 * Checked before any other pcap4j class is touched: a failed load in pcap4j's static initialiser
 * would leave pcap4j unusable (NoClassDefFoundError) for the rest of the JVM.
 */
public final class Libpcap {
    static final String LIB_PROPERTY = "org.pcap4j.core.pcapLibName";
    /** Where libpcap is looked for (Debian's multiarch directories first). */
    public static final List<String> DIRS = List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib");
    private static final List<String> NAMES = List.of("libpcap.so.0.8", "libpcap.so.1", "libpcap.so");
    private static volatile String version;

    private Libpcap() {
    }

    /** The first libpcap shared object in {@code dirs}, if any. */
    public static Optional<Path> find(List<String> dirs) {
        for (String name : NAMES) {
            for (String dir : dirs) {
                Path p = Path.of(dir, name);
                if (Files.isReadable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** The error for no libpcap in {@code dirs}: what was looked for, where, and what to install. */
    public static CaptureException missing(List<String> dirs) {
        return new CaptureException("libpcap is not installed (no " + String.join(", ", NAMES) + " in "
                + String.join(", ", dirs) + "): install libpcap0.8 (apt-get install libpcap0.8)");
    }

    /** Loads libpcap once; returns its version string. Throws {@link CaptureException} if it cannot. */
    public static String ensureLoaded() {
        String v = version;
        if (v != null) {
            return v;
        }
        synchronized (Libpcap.class) {
            if (version != null) {
                return version;
            }
            String lib = System.getProperty(LIB_PROPERTY);
            if (lib == null) {
                lib = find(DIRS).map(Path::toString).orElseThrow(() -> missing(DIRS));
                System.setProperty(LIB_PROPERTY, lib);
            }
            try {
                com.sun.jna.NativeLibrary.getInstance(lib);
            } catch (UnsatisfiedLinkError e) {
                String why = String.valueOf(e.getMessage()).lines().limit(2).map(String::strip)
                        .reduce((a, b) -> a + "; " + b).orElse(""); // JNA appends its whole search path
                throw new CaptureException("cannot load libpcap (" + lib + "): " + why
                        + "; install libpcap0.8 (apt-get install libpcap0.8)", e);
            }
            try {
                version = Pcaps.libVersion();
            } catch (LinkageError e) {
                throw new CaptureException("pcap4j cannot use libpcap (" + lib + "): " + e
                        + "; install libpcap0.8 (apt-get install libpcap0.8)", e);
            }
            return version;
        }
    }
}
