package io.jweave.netlink.nl;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes one netlink message: header, family header, attributes (nested where needed). Native byte
 * order (little-endian on the platforms we support) except where a field is big-endian on the wire.
 * The sequence number is filled in by {@link NetlinkSocket} when the message is sent.
 */
public final class NlRequest {
    private byte[] buf = new byte[256];
    private int pos;
    private final int[] nestStack = new int[8];
    private int nestDepth;

    public NlRequest(int type, int flags) {
        u32(0); // length, patched by bytes()
        u16(type);
        u16(flags | Rtnl.NLM_F_REQUEST);
        u32(0); // seq
        u32(0); // pid
    }

    public int type() {
        return (buf[4] & 0xff) | (buf[5] & 0xff) << 8;
    }

    public int flags() {
        return (buf[6] & 0xff) | (buf[7] & 0xff) << 8;
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    public NlRequest u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
        return this;
    }

    public NlRequest u16(int v) {
        ensure(2);
        buf[pos++] = (byte) v;
        buf[pos++] = (byte) (v >>> 8);
        return this;
    }

    public NlRequest u32(int v) {
        ensure(4);
        buf[pos++] = (byte) v;
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 24);
        return this;
    }

    public NlRequest bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
        return this;
    }

    private void pad() {
        int p = Rtnl.align(pos);
        ensure(p - pos);
        while (pos < p) {
            buf[pos++] = 0;
        }
    }

    private void attrHeader(int type, int payloadLen) {
        pad();
        u16(4 + payloadLen);
        u16(type);
    }

    public NlRequest attr(int type, byte[] value) {
        attrHeader(type, value.length);
        bytes(value);
        pad();
        return this;
    }

    public NlRequest attrU8(int type, int v) {
        attrHeader(type, 1);
        u8(v);
        pad();
        return this;
    }

    public NlRequest attrU16(int type, int v) {
        attrHeader(type, 2);
        u16(v);
        pad();
        return this;
    }

    /** A 16-bit attribute in network byte order (ports). */
    public NlRequest attrBe16(int type, int v) {
        attrHeader(type, 2);
        u8(v >>> 8);
        u8(v);
        pad();
        return this;
    }

    public NlRequest attrU32(int type, int v) {
        attrHeader(type, 4);
        u32(v);
        pad();
        return this;
    }

    /** A 32-bit attribute in network byte order (nftables). */
    public NlRequest attrBe32(int type, int v) {
        attrHeader(type, 4);
        u8(v >>> 24);
        u8(v >>> 16);
        u8(v >>> 8);
        u8(v);
        pad();
        return this;
    }

    /** A NUL-terminated string attribute. */
    public NlRequest attrString(int type, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        attrHeader(type, b.length + 1);
        bytes(b);
        u8(0);
        pad();
        return this;
    }

    /** Opens a nested attribute; close it with {@link #endNest()}. */
    public NlRequest beginNest(int type) {
        pad();
        nestStack[nestDepth++] = pos;
        u16(0);
        u16(type);
        return this;
    }

    public NlRequest endNest() {
        int start = nestStack[--nestDepth];
        int len = pos - start;
        buf[start] = (byte) len;
        buf[start + 1] = (byte) (len >>> 8);
        pad();
        return this;
    }

    /** Current length in bytes (the header's length field once finished). */
    public int length() {
        return pos;
    }

    /** Writes the length and sequence number and copies the message into {@code dst} at {@code off}. */
    public int writeTo(byte[] dst, int off, int seq) {
        if (nestDepth != 0) {
            throw new IllegalStateException("unclosed nested attribute");
        }
        pad();
        System.arraycopy(buf, 0, dst, off, pos);
        putU32(dst, off, pos);
        putU32(dst, off + 8, seq);
        return pos;
    }

    private static void putU32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    /** Maximum size accepted for one message. */
    public static final int MAX_MESSAGE = 64 * 1024;

    /** Name of an interface as the kernel accepts it (1..15 bytes, no '/', ':' or whitespace). */
    public static byte[] checkIfName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("interface name is empty");
        }
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length >= Rtnl.IFNAMSIZ) {
            throw new IllegalArgumentException("interface name \"" + name + "\" is " + b.length
                    + " bytes long; Linux allows at most " + (Rtnl.IFNAMSIZ - 1));
        }
        for (byte c : b) {
            if (c == '/' || c == ':' || c == 0 || Character.isWhitespace(c)) {
                throw new IllegalArgumentException("interface name \"" + name
                        + "\" contains a character Linux refuses ('/', ':', whitespace or NUL)");
            }
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("interface name \"" + name + "\" is not allowed");
        }
        return b;
    }
}
