package io.jweave.netlink.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;

/**
 * The few libc calls netlink-ffi needs, bound through jnr-ffi. Nothing else in the project calls
 * libc; everything goes through {@link Sys}, which turns failures into errno values.
 */
public interface LibC {

    @SaveError int socket(int domain, int type, int protocol);

    @SaveError int bind(int fd, @In byte[] addr, int addrlen);

    @SaveError int getsockname(int fd, @Out byte[] addr, IntByReference addrlen);

    @SaveError int setsockopt(int fd, int level, int optname, @In byte[] optval, int optlen);

    @SaveError long sendto(int fd, @In byte[] buf, long len, int flags, @In byte[] addr, int addrlen);

    @SaveError long recv(int fd, @Out byte[] buf, long len, int flags);

    @SaveError int close(int fd);

    @SaveError int open(String path, int flags, int mode);

    @SaveError int setns(int fd, int nstype);

    @SaveError int unshare(int flags);

    @SaveError int mount(String source, String target, String fstype, long flags, String data);

    @SaveError int umount2(String target, int flags);

    @SaveError int ioctl(int fd, long request, @In @Out byte[] arg);

    @SaveError int ioctl(int fd, long request, long arg);

    @SaveError long syscall(long number);

    String strerror(int errnum);

    /** Loads libc once per class loader. */
    static LibC load() {
        return LibraryLoader.create(LibC.class).load("c");
    }
}
