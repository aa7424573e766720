package io.jweave.netlink;

import io.jweave.netlink.sys.Errno;

/**
 * The kernel refused an operation. The message names the operation and the object, then the errno
 * (and the kernel's extended-ack text when it sent one), e.g.
 * {@code create vxlan "jvx-42": File exists (EEXIST)}.
 */
public class NetlinkException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;
    private final String operation;

    public NetlinkException(String operation, int errno, String kernelMessage) {
        super(operation + ": " + Errno.describe(errno)
                + (kernelMessage == null || kernelMessage.isEmpty() ? "" : " - kernel says: " + kernelMessage));
        this.errno = errno;
        this.operation = operation;
    }

    /** For subclasses that compose their own message. */
    protected NetlinkException(String operation, int errno, String message, boolean composed) {
        super(message);
        this.errno = errno;
        this.operation = operation;
    }

    /** The positive errno value, e.g. 17 for EEXIST. */
    public int errno() {
        return errno;
    }

    public String operation() {
        return operation;
    }

    public boolean isNotFound() {
        return errno == Errno.ENODEV || errno == Errno.ENOENT || errno == Errno.ESRCH;
    }

    public boolean isExists() {
        return errno == Errno.EEXIST;
    }
}
