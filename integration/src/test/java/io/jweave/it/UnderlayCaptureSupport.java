package io.jweave.it;

import io.jweave.it.testbed.UnderlayCapture;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.function.Predicate;

/** Reading the underlay capture of the encrypted-mesh tests: IPv4 frames by protocol, port and address. */
final class UnderlayCaptureSupport {
    private UnderlayCaptureSupport() {
    }

    /** An IPv4 packet of a captured Ethernet frame (VLAN tags are not expected on the test underlay). */
    record Ip(byte[] frame, int offset, int proto, String src, String dst, int sport, int dport, int payloadOffset) {
    }

    static Ip parse(byte[] f) {
        if (f.length < 14 + 20 || (f[12] & 0xff) != 0x08 || f[13] != 0x00) {
            return null;
        }
        int o = 14;
        int ihl = (f[o] & 0x0f) * 4;
        int proto = f[o + 9] & 0xff;
        String src = addr(f, o + 12);
        String dst = addr(f, o + 16);
        int l4 = o + ihl;
        int frag = ((f[o + 6] & 0x1f) << 8) | (f[o + 7] & 0xff);
        if (frag != 0 || l4 + 4 > f.length || (proto != 6 && proto != 17)) {
            return new Ip(f, o, proto, src, dst, -1, -1, l4);
        }
        int sport = ((f[l4] & 0xff) << 8) | (f[l4 + 1] & 0xff);
        int dport = ((f[l4 + 2] & 0xff) << 8) | (f[l4 + 3] & 0xff);
        int payload = proto == 17 ? l4 + 8 : l4 + ((f[l4 + 12] & 0xf0) >> 4) * 4;
        return new Ip(f, o, proto, src, dst, sport, dport, payload);
    }

    private static String addr(byte[] f, int o) {
        try {
            return InetAddress.getByAddress(new byte[]{f[o], f[o + 1], f[o + 2], f[o + 3]}).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static long count(UnderlayCapture c, Predicate<Ip> p) {
        return c.frames().stream().map(UnderlayCaptureSupport::parse).filter(x -> x != null && p.test(x)).count();
    }

    /** Frames of {@code proto} (6 TCP, 17 UDP) to or from {@code port}, none involving {@code except} (addresses). */
    static long count(UnderlayCapture c, int proto, int port, List<String> except) {
        return count(c, x -> x.proto() == proto && (x.sport() == port || x.dport() == port)
                && !except.contains(x.src()) && !except.contains(x.dst()));
    }

    /** The newest tunnel transport packet (type 3) from {@code src} to {@code dst}, as a whole frame. */
    static byte[] lastTransport(UnderlayCapture c, String src, String dst) {
        List<byte[]> frames = c.frames();
        for (int i = frames.size() - 1; i >= 0; i--) {
            Ip x = parse(frames.get(i));
            if (x != null && x.proto() == 17 && x.src().equals(src) && x.dst().equals(dst) && x.dport() == 6783
                    && x.payloadOffset() + 32 < x.frame().length && x.frame()[x.payloadOffset()] == 3) {
                return x.frame();
            }
        }
        throw new AssertionError("no tunnel transport packet " + src + " -> " + dst + " in " + frames.size() + " frames");
    }
}
