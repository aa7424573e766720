package io.jweave.netlink.nl;

import java.util.ArrayList;
import java.util.List;

/**
 * One received netlink message: its header fields and a bounds-checked view of its payload.
 * {@link #parseAll} splits a datagram into messages and rejects any length that does not fit.
 */
public record NlMsg(int type, int flags, int seq, int pid, Bytes payload) {

    /** Splits {@code len} bytes of {@code buf} into messages; throws on truncation or bad lengths. */
    public static List<NlMsg> parseAll(byte[] buf, int len) {
        if (len < 0 || len > buf.length) {
            throw new NetlinkProtocolException("datagram length " + len + " outside buffer of " + buf.length);
        }
        List<NlMsg> out = new ArrayList<>();
        Bytes all = new Bytes(buf, 0, len);
        int off = 0;
        while (off < len) {
            if (len - off < Rtnl.NLMSG_HDRLEN) {
                throw new NetlinkProtocolException("truncated netlink header: " + (len - off)
                        + " bytes left at offset " + off + ", need " + Rtnl.NLMSG_HDRLEN);
            }
            int msgLen = all.u32(off);
            if (msgLen < Rtnl.NLMSG_HDRLEN || msgLen > len - off) {
                throw new NetlinkProtocolException("netlink message at offset " + off + " claims length "
                        + Integer.toUnsignedString(msgLen) + " but " + (len - off) + " bytes remain");
            }
            out.add(new NlMsg(all.u16(off + 4), all.u16(off + 6), all.u32(off + 8), all.u32(off + 12),
                    all.slice(off + Rtnl.NLMSG_HDRLEN, msgLen - Rtnl.NLMSG_HDRLEN)));
            off += Rtnl.align(msgLen);
        }
        return out;
    }

    /** Attributes that follow a fixed family header of {@code fixedLen} bytes. */
    public NlAttrs attrs(int fixedLen) {
        if (payload.length() < fixedLen) {
            throw new NetlinkProtocolException("message type " + type + " has " + payload.length()
                    + " bytes of payload, shorter than its " + fixedLen + "-byte header");
        }
        return NlAttrs.parse(payload.slice(fixedLen, payload.length() - fixedLen));
    }
}
