package io.jweave.netlink.sys;

import jnr.ffi.LastError;
import jnr.ffi.Runtime;

/**
 * Thin checked wrappers around {@link LibC}: each returns the call's result or throws
 * {@link SysException} carrying errno. The library handle is immutable and shared.
 */
public final class Sys {

    public static final int AF_NETLINK = 16;
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_BRIDGE = 7;
    public static final int AF_INET6 = 10;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int NETLINK_ROUTE = 0;
    public static final int NETLINK_NETFILTER = 12;

    public static final int SOL_SOCKET = 1;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SOL_NETLINK = 270;
    public static final int NETLINK_ADD_MEMBERSHIP = 1;
    public static final int NETLINK_CAP_ACK = 10;
    public static final int NETLINK_EXT_ACK = 11;
    public static final int NETLINK_GET_STRICT_CHK = 12;

    public static final int MSG_PEEK = 0x02;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;

    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0x40;
    public static final int O_EXCL = 0x80;
    public static final int O_CLOEXEC = 0x80000;

    public static final int CLONE_NEWNET = 0x40000000;
    public static final long MS_BIND = 4096;
    public static final long MS_REC = 16384;
    public static final long MS_SHARED = 1 << 20;
    public static final int MNT_DETACH = 2;

    public static final long SYS_GETTID = 186; // x86_64

    public static final int EINTR = 4;
    public static final int EAGAIN = 11;

    private static final LibC LIBC = LibC.load();
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Sys() {
    }

    /** The raw binding, for calls that have no wrapper here. */
    public static LibC libc() {
        return LIBC;
    }

    public static int errno() {
        return LastError.getLastError(RUNTIME);
    }

    /** Throws {@link SysException} naming {@code what} when {@code rc} is negative. */
    public static long check(long rc, String what) {
        if (rc < 0) {
            throw new SysException(what, errno());
        }
        return rc;
    }

    public static int check(int rc, String what) {
        if (rc < 0) {
            throw new SysException(what, errno());
        }
        return rc;
    }

    public static int gettid() {
        return (int) LIBC.syscall(SYS_GETTID);
    }

    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            LIBC.close(fd);
        }
    }
}
