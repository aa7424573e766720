package io.jweave.netlink.sys;

/** A failed libc call: the call, and errno. */
public final class SysException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public SysException(String what, int errno) {
        super(what + ": " + Errno.describe(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
