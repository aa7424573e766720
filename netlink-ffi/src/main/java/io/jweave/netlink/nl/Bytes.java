package io.jweave.netlink.nl;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A bounds-checked, read-only window on a byte array. Every read outside the window throws
 * {@link NetlinkProtocolException} instead of reading a neighbour's bytes.
 */
public final class Bytes {
    private final byte[] buf;
    private final int off;
    private final int len;

    public Bytes(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off > buf.length - len) {
            throw new NetlinkProtocolException("window " + off + "+" + len + " outside " + buf.length + " bytes");
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
    }

    public int length() {
        return len;
    }

    private void check(int at, int n) {
        if (at < 0 || n < 0 || at > len - n) {
            throw new NetlinkProtocolException("read of " + n + " bytes at offset " + at
                    + " outside a " + len + "-byte field");
        }
    }

    public Bytes slice(int at, int n) {
        check(at, n);
        return new Bytes(buf, off + at, n);
    }

    public int u8(int at) {
        check(at, 1);
        return buf[off + at] & 0xff;
    }

    public int u16(int at) {
        check(at, 2);
        return (buf[off + at] & 0xff) | (buf[off + at + 1] & 0xff) << 8;
    }

    public int be16(int at) {
        check(at, 2);
        return (buf[off + at] & 0xff) << 8 | (buf[off + at + 1] & 0xff);
    }

    public int be32(int at) {
        check(at, 4);
        int p = off + at;
        return (buf[p] & 0xff) << 24 | (buf[p + 1] & 0xff) << 16 | (buf[p + 2] & 0xff) << 8 | (buf[p + 3] & 0xff);
    }

    public long be64(int at) {
        check(at, 8);
        return (be32(at) & 0xffffffffL) << 32 | (be32(at + 4) & 0xffffffffL);
    }

    public int u32(int at) {
        check(at, 4);
        int p = off + at;
        return (buf[p] & 0xff) | (buf[p + 1] & 0xff) << 8 | (buf[p + 2] & 0xff) << 16 | (buf[p + 3] & 0xff) << 24;
    }

    public byte[] toArray() {
        return Arrays.copyOfRange(buf, off, off + len);
    }

    /** A C string: up to the first NUL or the end of the window. */
    public String cString() {
        int end = 0;
        while (end < len && buf[off + end] != 0) {
            end++;
        }
        return new String(buf, off, end, StandardCharsets.UTF_8);
    }
}
