package io.jweave.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * A Linux TUN device (IFF_TUN | IFF_NO_PI) opened through /dev/net/tun. Reads wait at most
 * {@link #POLL_MILLIS} ms (poll) so the reading thread can notice a shutdown.
 */
public final class TunDevice implements PacketDevice {
    static final int POLL_MILLIS = 100;
    private static final int O_RDWR = 2;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 0x80000;
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETPERSIST = 0x400454cbL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final int IFNAMSIZ = 16;
    private static final int IFREQ_SIZE = 40;
    private static final short POLLIN = 0x0001;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;

    public interface LibC {
        @SaveError int open(String path, int flags, int mode);

        @SaveError int ioctl(int fd, long request, @In @Out byte[] arg);

        @SaveError int ioctl(int fd, long request, long arg);

        @SaveError long read(int fd, @Out ByteBuffer buf, long count);

        @SaveError long write(int fd, @In ByteBuffer buf, long count);

        @SaveError int poll(@In @Out ByteBuffer fds, long nfds, int timeout);

        @SaveError int close(int fd);

        String strerror(int errnum);
    }

    private static volatile LibC libc;

    private static LibC libc() {
        LibC l = libc;
        if (l == null) {
            synchronized (TunDevice.class) {
                if (libc == null) {
                    libc = LibraryLoader.create(LibC.class).load("c");
                }
                l = libc;
            }
        }
        return l;
    }

    private final String name;
    private final int fd;
    private final boolean persistent;
    private final ByteBuffer pollfd = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private volatile boolean closed;

    private TunDevice(String name, int fd, boolean persistent) {
        this.name = name;
        this.fd = fd;
        this.persistent = persistent;
        pollfd.putInt(0, fd);
        pollfd.putShort(4, POLLIN);
    }

    /**
     * Creates the TUN device, or attaches to an existing (persistent) one of that name. With persist,
     * the device outlives this process (routes pointing at it stay; packets sent to it while nobody
     * reads are dropped, never sent in clear).
     */
    public static TunDevice open(String name, boolean persist) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length == 0 || nameBytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1-15 bytes: " + name);
        }
        LibC c = libc();
        int fd = openTun(c);
        try {
            byte[] ifr = ifreq(nameBytes);
            if (c.ioctl(fd, TUNSETIFF, ifr) < 0) {
                throw error(c, "TUNSETIFF " + name);
            }
            int end = 0;
            while (end < IFNAMSIZ && ifr[end] != 0) {
                end++;
            }
            String actual = new String(ifr, 0, end, StandardCharsets.US_ASCII);
            if (persist && c.ioctl(fd, TUNSETPERSIST, 1L) < 0) {
                throw error(c, "TUNSETPERSIST " + name);
            }
            return new TunDevice(actual, fd, persist);
        } catch (IOException | RuntimeException e) {
            c.close(fd);
            throw e;
        }
    }

    /** Clears the persist flag of a device, which then disappears (once nobody has it open). */
    public static void delete(String name) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length == 0 || nameBytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1-15 bytes: " + name);
        }
        LibC c = libc();
        int fd = openTun(c);
        try {
            if (c.ioctl(fd, TUNSETIFF, ifreq(nameBytes)) < 0) {
                throw error(c, "TUNSETIFF " + name);
            }
            if (c.ioctl(fd, TUNSETPERSIST, 0L) < 0) {
                throw error(c, "TUNSETPERSIST 0 " + name);
            }
        } finally {
            c.close(fd);
        }
    }

    private static int openTun(LibC c) throws IOException {
        // Non-blocking: a read tries first and polls only when the queue is empty (one system call per
        // packet under load instead of two); a TUN write never waits anyway.
        int fd = c.open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK, 0);
        if (fd < 0) {
            throw error(c, "open /dev/net/tun");
        }
        return fd;
    }

    private static byte[] ifreq(byte[] nameBytes) {
        byte[] ifr = new byte[IFREQ_SIZE];
        System.arraycopy(nameBytes, 0, ifr, 0, nameBytes.length);
        ByteBuffer.wrap(ifr).order(ByteOrder.nativeOrder()).putShort(IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI));
        return ifr;
    }

    private static IOException error(LibC c, String what) {
        int errno = Runtime.getRuntime(c).getLastError();
        return new IOException(what + ": " + c.strerror(errno) + " (errno " + errno + ")");
    }

    public String name() {
        return name;
    }

    public boolean persistent() {
        return persistent;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = readNow(dst);
        if (n > 0 || closed) {
            return n;
        }
        // nothing queued: wait (a while, so that close() is noticed) and let the caller come again
        LibC c = libc();
        pollfd.putShort(6, (short) 0);
        if (c.poll(pollfd, 1, POLL_MILLIS) < 0) {
            int e = Runtime.getRuntime(c).getLastError();
            if (e != EINTR) {
                throw new IOException("poll " + name + ": " + c.strerror(e));
            }
        }
        return 0;
    }

    @Override
    public int readNow(ByteBuffer dst) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (!dst.isDirect()) {
            throw new IllegalArgumentException("TunDevice reads into direct buffers only");
        }
        LibC c = libc();
        ByteBuffer slice = dst.slice();
        long n = c.read(fd, slice, slice.remaining());
        if (n < 0) {
            int errno = Runtime.getRuntime(c).getLastError();
            if (errno != EAGAIN && errno != EINTR) {
                throw new IOException("read " + name + ": " + c.strerror(errno));
            }
            return 0;
        }
        dst.position(dst.position() + (int) n);
        return (int) n;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        LibC c = libc();
        ByteBuffer b = src;
        if (!src.isDirect()) {
            b = ByteBuffer.allocateDirect(src.remaining());
            b.put(src.duplicate()).flip();
        }
        ByteBuffer slice = b.slice();
        long n = c.write(fd, slice, slice.remaining());
        if (n < 0) {
            int errno = Runtime.getRuntime(c).getLastError();
            throw new IOException("write " + name + ": " + c.strerror(errno));
        }
        src.position(src.position() + (int) n);
    }

    /** Closes the file descriptor; a persistent device stays. Call after the reader has stopped. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        libc().close(fd);
    }

    @Override
    public String toString() {
        return "TunDevice[" + name + (persistent ? ", persistent" : "") + "]";
    }
}
