package io.jweave.router.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.Handle;
import io.jweave.netlink.MacAddress;
import io.jweave.netlink.NetNs;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Datapath} against the real kernel (needs root; a test that cannot run fails). The "host"
 * is a scratch network namespace, so the machine's own namespace is never touched.
 */
class DatapathTest {
    private String hostNsName;
    private NetNs hostNs;
    private Handle host;
    private Path dataDir;
    private Datapath datapath;

    @BeforeEach
    void setUp() throws IOException {
        hostNsName = "jwdptest-" + HexFormat.of().formatHex(new byte[] {(byte) ThreadLocalRandom.current().nextInt(),
                (byte) ThreadLocalRandom.current().nextInt(), (byte) ThreadLocalRandom.current().nextInt()});
        hostNs = NetNs.create(hostNsName);
        host = Handle.open(hostNs);
        host.links().setUp("lo");
        dataDir = Files.createTempDirectory(Path.of("/run"), "jwdptest-");
        datapath = new Datapath(host, dataDir.resolve("netns"), InetAddress.getByName("198.51.100.1"), 0, 4789);
    }

    @AfterEach
    void tearDown() throws IOException {
        try {
            datapath.removeStrays(Set.of(), Set.of());
            datapath.close();
        } finally {
            host.close();
            hostNs.close();
            NetNs.delete(hostNsName);
            try (var files = Files.walk(dataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aNetworkCanBeRecreatedWithTheSameVniRightAfterItsRemoval() {
        // The kernel frees a removed namespace (and the VXLAN device in it) asynchronously; the VNI
        // must nevertheless be free at once (docker network rm + create, compose down + up).
        for (int i = 0; i < 30; i++) {
            datapath.ensureNetwork(4242, 1450);
            datapath.removeNetwork(4242);
        }
        datapath.ensureNetwork(4242, 1450);
        assertEquals(Set.of("vni-4242"), namespaceFiles());
    }

    @Test
    void removedNetworkLeavesNothingBehind() {
        datapath.ensureNetwork(4243, 1400);
        String outer = datapath.createEndpoint(4243, "0123456789abcdef", MacAddress.parse("02:42:64:40:00:02"), 1400);
        assertTrue(host.links().byName(outer).isPresent(), "the container end waits in the host namespace");
        assertEquals(1400, host.links().byName(outer).orElseThrow().mtu());
        assertTrue(datapath.endpointPresent(4243, "0123456789abcdef"));
        datapath.removeEndpoint(4243, "0123456789abcdef");
        assertFalse(host.links().byName(outer).isPresent());
        datapath.removeNetwork(4243);
        assertEquals(Set.of(), namespaceFiles());
        assertTrue(host.links().list().stream().allMatch(l -> "lo".equals(l.name())), "only lo left: " + host.links().list());
    }

    @Test
    void strayNamespaceOfAnEarlierLifeIsRemovedAndItsVniReusable() throws IOException {
        datapath.ensureNetwork(4244, 1450);
        datapath.close(); // as if the router stopped; the namespace stays mounted
        datapath = new Datapath(host, dataDir.resolve("netns"), InetAddress.getByName("198.51.100.1"), 0, 4789);
        datapath.removeStrays(Set.of(), Set.of()); // the network was deleted while the router was down
        assertEquals(Set.of(), namespaceFiles());
        datapath.ensureNetwork(4244, 1450);
        assertEquals(Set.of("vni-4244"), namespaceFiles());
    }

    private Set<String> namespaceFiles() {
        Path dir = dataDir.resolve("netns");
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
