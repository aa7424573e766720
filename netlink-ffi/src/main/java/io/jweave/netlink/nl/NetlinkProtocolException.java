package io.jweave.netlink.nl;

/** A reply from the kernel that does not parse: truncated, malformed, or out of sequence. */
public final class NetlinkProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NetlinkProtocolException(String message) {
        super(message);
    }
}
