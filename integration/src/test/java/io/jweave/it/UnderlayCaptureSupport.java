package io.jweave.it;

import io.jweave.it.testbed.UnderlayCapture;
import io.jweave.it.testbed.UnderlayCapture.L4;
import java.util.List;
import java.util.function.Predicate;

/** Questions the encrypted-mesh tests ask of the underlay capture: IPv4 frames by protocol, port and address. */
final class UnderlayCaptureSupport {
    private UnderlayCaptureSupport() {
    }

    static long count(UnderlayCapture c, Predicate<L4> p) {
        return c.ipv4().stream().filter(p).count();
    }

    static boolean involves(L4 x, List<String> addresses) {
        return addresses.contains(x.src().getHostAddress()) || addresses.contains(x.dst().getHostAddress());
    }

    /** Frames of {@code proto} (6 TCP, 17 UDP) to or from {@code port}, none involving {@code except} (addresses). */
    static long count(UnderlayCapture c, int proto, int port, List<String> except) {
        return count(c, x -> x.protocol() == proto && (x.srcPort() == port || x.dstPort() == port) && !involves(x, except));
    }

    /**
     * The newest tunnel transport packet (type 3) from {@code src} to {@code dst}, as a whole frame. Only a
     * frame of one datagram: the tunnel sends runs of equal-sized packets with UDP GSO, which a capture on
     * the test bed's veths and bridge sees as one frame of many datagrams (segmented only on a real NIC).
     */
    static byte[] lastTransport(UnderlayCapture c, String src, String dst) {
        List<L4> all = c.udp(6783);
        for (int i = all.size() - 1; i >= 0; i--) {
            L4 x = all.get(i);
            if (x.src().getHostAddress().equals(src) && x.dst().getHostAddress().equals(dst) && x.payloadLength() > 32
                    && x.frame().length <= 1514 && x.frame()[x.payloadOffset()] == 3) {
                return x.frame();
            }
        }
        throw new AssertionError("no tunnel transport packet " + src + " -> " + dst + " among " + all.size()
                + " tunnel datagrams");
    }
}
