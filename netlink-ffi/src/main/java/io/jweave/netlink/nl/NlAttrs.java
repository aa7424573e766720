package io.jweave.netlink.nl;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The attributes (TLVs) of a message or of a nested attribute, indexed by type (the last one of a
 * type wins, as in the kernel's own parser). Lengths are validated on parse; typed getters check the
 * payload size, so a short attribute is an error rather than a wrong value.
 */
public final class NlAttrs {
    private static final int NLA_TYPE_MASK = 0x3fff; // strip NLA_F_NESTED and NLA_F_NET_BYTEORDER
    private static final int MAX_TYPE = 128;
    private final Bytes[] byType = new Bytes[MAX_TYPE];

    private NlAttrs() {
    }

    public static NlAttrs parse(Bytes b) {
        NlAttrs a = new NlAttrs();
        int off = 0;
        int len = b.length();
        while (off + 4 <= len) {
            int alen = b.u16(off);
            int type = b.u16(off + 2) & NLA_TYPE_MASK;
            if (alen < 4 || alen > len - off) {
                throw new NetlinkProtocolException("attribute type " + type + " at offset " + off
                        + " claims length " + alen + " but " + (len - off) + " bytes remain");
            }
            if (type < MAX_TYPE) {
                a.byType[type] = b.slice(off + 4, alen - 4);
            }
            off += Rtnl.align(alen);
        }
        if (off < len) {
            throw new NetlinkProtocolException("truncated attribute header: " + (len - off) + " trailing bytes");
        }
        return a;
    }

    /**
     * The payloads of a list of attributes in order, whatever their types (an nftables
     * {@code NFTA_LIST_ELEM} list, where every element has the same type).
     */
    public static java.util.List<Bytes> elements(Bytes b) {
        java.util.List<Bytes> out = new java.util.ArrayList<>();
        int off = 0;
        int len = b.length();
        while (off + 4 <= len) {
            int alen = b.u16(off);
            if (alen < 4 || alen > len - off) {
                throw new NetlinkProtocolException("list element at offset " + off + " claims length " + alen
                        + " but " + (len - off) + " bytes remain");
            }
            out.add(b.slice(off + 4, alen - 4));
            off += Rtnl.align(alen);
        }
        if (off < len) {
            throw new NetlinkProtocolException("truncated list element header: " + (len - off) + " trailing bytes");
        }
        return out;
    }

    public boolean has(int type) {
        return type < MAX_TYPE && byType[type] != null;
    }

    public Bytes get(int type) {
        return type < MAX_TYPE ? byType[type] : null;
    }

    private Bytes require(int type, int size, String what) {
        Bytes v = byType[type];
        if (v.length() < size) {
            throw new NetlinkProtocolException("attribute " + what + " (type " + type + ") has "
                    + v.length() + " bytes, need " + size);
        }
        return v;
    }

    public Integer u8(int type) {
        return has(type) ? require(type, 1, "u8").u8(0) : null;
    }

    public Integer u16(int type) {
        return has(type) ? require(type, 2, "u16").u16(0) : null;
    }

    public Integer be16(int type) {
        return has(type) ? require(type, 2, "be16").be16(0) : null;
    }

    public Integer u32(int type) {
        return has(type) ? require(type, 4, "u32").u32(0) : null;
    }

    /** A 32-bit attribute in network byte order (nftables). */
    public Integer be32(int type) {
        return has(type) ? require(type, 4, "be32").be32(0) : null;
    }

    /** A 64-bit attribute in network byte order (nftables handles and counters). */
    public Long be64(int type) {
        return has(type) ? require(type, 8, "be64").be64(0) : null;
    }

    public int u32(int type, int dflt) {
        Integer v = u32(type);
        return v == null ? dflt : v;
    }

    public String string(int type) {
        return has(type) ? byType[type].cString() : null;
    }

    public byte[] bytes(int type) {
        return has(type) ? byType[type].toArray() : null;
    }

    public NlAttrs nested(int type) {
        return has(type) ? parse(byType[type]) : null;
    }

    /** An IPv4 (4 bytes) or IPv6 (16 bytes) address attribute. */
    public InetAddress inet(int type) {
        if (!has(type)) {
            return null;
        }
        byte[] b = byType[type].toArray();
        if (b.length != 4 && b.length != 16) {
            throw new NetlinkProtocolException("address attribute type " + type + " has " + b.length
                    + " bytes, expected 4 or 16");
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new NetlinkProtocolException(e.getMessage());
        }
    }
}
