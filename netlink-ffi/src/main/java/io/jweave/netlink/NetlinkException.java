package io.jweave.netlink;

import io.jweave.netlink.sys.Errno;

/**
 * The kernel (or netlink-ffi on its behalf) refused an operation. The message names the operation
 * and the object, then the errno, then any detail, e.g.
 * <ul>
 * <li>{@code create vxlan "jvx-42": File exists (EEXIST)}</li>
 * <li>{@code set mtu 70000 on link "v0": Invalid argument (EINVAL) - kernel says: mtu greater than device maximum}</li>
 * <li>{@code create bridge "a-very-long-name": Invalid argument (EINVAL) - interface name "..." is 16 bytes long; Linux allows at most 15}</li>
 * </ul>
 * "kernel says" marks the kernel's own extended-ack text; other details come from netlink-ffi.
 */
public class NetlinkException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;
    private final String operation;
    private final String kernelMessage;

    /** A refusal by the kernel; {@code kernelMessage} is its extended-ack text (may be null). */
    public NetlinkException(String operation, int errno, String kernelMessage) {
        super(operation + ": " + Errno.describe(errno)
                + (isBlank(kernelMessage) ? "" : " - kernel says: " + kernelMessage));
        this.errno = errno;
        this.operation = operation;
        this.kernelMessage = isBlank(kernelMessage) ? null : kernelMessage;
    }

    /** For subclasses and factories that compose their own message. */
    protected NetlinkException(String operation, int errno, String message, boolean composed) {
        super(message);
        this.errno = errno;
        this.operation = operation;
        this.kernelMessage = null;
    }

    /**
     * An operation netlink-ffi refuses (or cannot complete) before or without the kernel's word,
     * with the errno the kernel would have given and a reason of our own.
     */
    public static NetlinkException refused(String operation, int errno, String reason) {
        return new NetlinkException(operation, errno, operation + ": " + Errno.describe(errno)
                + (isBlank(reason) ? "" : " - " + reason), true);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    /** The positive errno value, e.g. 17 for EEXIST. */
    public int errno() {
        return errno;
    }

    /** What was attempted, on which object, e.g. {@code create vxlan "jvx-42"}. */
    public String operation() {
        return operation;
    }

    /** The kernel's extended-ack text, or null when it sent none. */
    public String kernelMessage() {
        return kernelMessage;
    }

    public boolean isNotFound() {
        return errno == Errno.ENODEV || errno == Errno.ENOENT || errno == Errno.ESRCH;
    }

    public boolean isExists() {
        return errno == Errno.EEXIST;
    }
}
