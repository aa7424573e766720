package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jweave.netlink.sys.Errno;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** replaceAll/deleteAll of thousands of entries, counted through {@code ip} and {@code bridge}. */
class BatchTest extends KernelTestBase {
    private static final int N = 3000;

    private static InetAddress overlayIp(int i) {
        try {
            return InetAddress.getByAddress(new byte[] {100, 64, (byte) (1 + i / 250), (byte) (1 + i % 250)});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static MacAddress mac(int i) {
        return new MacAddress(new byte[] {2, 0x42, 0, (byte) (i >>> 16), (byte) (i >>> 8), (byte) i});
    }

    private long permanentNeighbours(NetNs ns, String dev) {
        long n = 0;
        for (JsonNode e : k.ip(ns, "neigh", "show", "dev", dev)) {
            if (e.path("state").toString().contains("PERMANENT")) {
                n++;
            }
        }
        return n;
    }

    private long fdbWithDst(NetNs ns, String dev) {
        long n = 0;
        for (JsonNode e : k.bridge(ns, "fdb", "show", "dev", dev)) {
            if (e.has("dst") && e.path("mac").asText().startsWith("02:42:00")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void thousandsOfNeighbours() {
        NetNs ns = k.newNs("bn");
        Handle h = k.handle(ns);
        Link v = h.links().add(new LinkSpec("jvx42", LinkType.Vxlan.of(42)));
        List<Neighbour> entries = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            entries.add(Neighbour.permanent(v.index(), overlayIp(i), mac(i)));
        }
        long t0 = System.nanoTime();
        h.neighbours().replaceAll(entries);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(N, permanentNeighbours(ns, "jvx42"));
        assertEquals(N, h.neighbours().list(v.index()).size());
        // replacing them all again is idempotent
        h.neighbours().replaceAll(entries);
        assertEquals(N, permanentNeighbours(ns, "jvx42"));
        h.neighbours().deleteAll(entries);
        assertEquals(0, permanentNeighbours(ns, "jvx42"));
        assertTrue(ms < 10_000, N + " neighbours took " + ms + " ms");
    }

    @Test
    void thousandsOfFdbEntries() throws Exception {
        NetNs ns = k.newNs("bf");
        Handle h = k.handle(ns);
        Link v = h.links().add(new LinkSpec("jvx42", LinkType.Vxlan.of(42)
                .withLocal(InetAddress.getByName("198.51.100.1"))));
        List<FdbEntry> entries = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            entries.add(FdbEntry.vxlan(v.index(), mac(i), InetAddress.getByName("198.51.100." + (2 + i % 200))));
        }
        h.fdb().replaceAll(entries);
        assertEquals(N, fdbWithDst(ns, "jvx42"));
        assertEquals(N, h.fdb().list(v.index()).stream().filter(e -> e.dst() != null).count());
        h.fdb().deleteAll(entries);
        assertEquals(0, fdbWithDst(ns, "jvx42"));
    }

    @Test
    void failingEntriesAreReportedAndTheOthersApplied() {
        NetNs ns = k.newNs("bx");
        Handle h = k.handle(ns);
        Link v = h.links().add(new LinkSpec("jvx42", LinkType.Vxlan.of(42)));
        int missingLink = 987654;
        List<Neighbour> entries = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            boolean bad = i % 400 == 7; // 5 entries on a link that does not exist
            entries.add(Neighbour.permanent(bad ? missingLink : v.index(), overlayIp(i), mac(i)));
        }
        var e = assertThrows(NetlinkBatchException.class, () -> h.neighbours().replaceAll(entries));
        assertEquals(2000, e.total());
        assertEquals(5, e.failures().size(), e.getMessage());
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().startsWith("replace 2000 neighbour entries: 5 of 2000 failed; first: replace neighbour "
                + overlayIp(7).getHostAddress() + " lladdr " + mac(7) + " on link #" + missingLink
                + ": No such device (ENODEV)"), e.getMessage());
        for (int j = 0; j < 5; j++) {
            int i = 7 + 400 * j;
            String msg = e.failures().get(j).getMessage();
            assertTrue(msg.startsWith("replace neighbour " + overlayIp(i).getHostAddress()), msg);
            assertEquals(Errno.ENODEV, e.failures().get(j).errno());
        }
        assertEquals(1995, permanentNeighbours(ns, "jvx42"));

        // deleting everything: the 5 never added are reported as missing, the rest are gone
        var d = assertThrows(NetlinkBatchException.class, () -> h.neighbours().deleteAll(entries));
        assertEquals(5, d.failures().size(), d.getMessage());
        assertEquals(0, permanentNeighbours(ns, "jvx42"));
    }
}
