package io.jweave.tunnel;

import com.kenai.jffi.MemoryIO;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batched UDP I/O on a DatagramChannel's socket (Linux, 64-bit): {@link Sender} seals packets into
 * slots and sends a whole batch with one {@code sendmmsg}, joining runs of equal-sized datagrams to
 * the same peer into one UDP GSO message ({@code UDP_SEGMENT}); {@link Receiver} takes up to N
 * datagrams per {@code recvmmsg} and splits UDP GRO aggregates ({@code UDP_GRO} cmsg) back into
 * datagrams. The layouts (struct mmsghdr, msghdr, iovec, sockaddr_in, cmsghdr) are those of LP64
 * Linux (x86_64, aarch64).
 */
final class UdpBatch {
    private static final Logger log = LoggerFactory.getLogger(UdpBatch.class);

    // struct msghdr (LP64): name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48
    static final int MSGHDR = 56;
    /** struct mmsghdr: msghdr + unsigned msg_len (+ padding). */
    static final int MMSGHDR = 64;
    static final int MSG_LEN = 56;
    static final int IOVEC = 16;
    static final int SOCKADDR_IN = 16;
    /** CMSG_SPACE(sizeof(uint16_t)) and CMSG_LEN(sizeof(uint16_t)). */
    static final int CMSG_SPACE_U16 = 24;
    static final int CMSG_LEN_U16 = 18;
    static final int CMSG_HDR = 16;
    static final int AF_INET = 2;
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_TRUNC = 0x20;
    /** The kernel's UDP_MAX_SEGMENTS was 64 before 6.10; stay under the older limit. */
    static final int MAX_SEGMENTS = 64;
    /** A GSO message's UDP payload must fit one IPv4 datagram. */
    static final int MAX_GSO_BYTES = 65507 - 8;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EIO = 5;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;
    static final int ENOPROTOOPT = 92;
    static final short POLLIN = 0x0001;
    static final short POLLOUT = 0x0004;

    public interface LibC {
        @SaveError int sendmmsg(int fd, long msgvec, int vlen, int flags);

        @SaveError int recvmmsg(int fd, long msgvec, int vlen, int flags, long timeout);

        @SaveError int setsockopt(int fd, int level, int name, @In ByteBuffer value, int len);

        @SaveError int poll(@In @Out ByteBuffer fds, long nfds, int timeout);

        String strerror(int errnum);
    }

    private static volatile LibC libc;
    private static volatile boolean unavailable;

    private UdpBatch() {
    }

    /** Whether the native layouts here fit this platform. */
    static boolean supported() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        return os.startsWith("Linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"));
    }

    static LibC libc() {
        LibC l = libc;
        if (l == null) {
            synchronized (UdpBatch.class) {
                if (libc == null) {
                    libc = LibraryLoader.create(LibC.class).load("c");
                }
                l = libc;
            }
        }
        return l;
    }

    static int errno() {
        return Runtime.getRuntime(libc()).getLastError();
    }

    /**
     * The file descriptor of a DatagramChannel (sun.nio.ch, which needs
     * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}), or -1 if it cannot be had.
     */
    static int fdOf(DatagramChannel ch) {
        if (unavailable || !supported()) {
            return -1;
        }
        try {
            Method m = ch.getClass().getMethod("getFDVal");
            m.setAccessible(true);
            return (Integer) m.invoke(ch);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = true;
            log.info("batched UDP I/O unavailable (one system call per packet instead): {}; the JVM needs "
                    + "--add-opens java.base/sun.nio.ch=ALL-UNNAMED", e.toString());
            return -1;
        }
    }

    static long address(ByteBuffer direct) {
        return MemoryIO.getInstance().getDirectBufferAddress(direct);
    }

    static ByteBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    /** Sets an int socket option; returns 0 or the errno. */
    static int setInt(int fd, int level, int name, int value) {
        ByteBuffer v = direct(4);
        v.putInt(0, value);
        return libc().setsockopt(fd, level, name, v, 4) < 0 ? errno() : 0;
    }

    // ------------------------------------------------------------------ layouts (pure Java, tested)

    static void putMsghdr(ByteBuffer b, int off, long name, int namelen, long iov, long iovlen, long control,
            long controllen) {
        b.putLong(off, name);
        b.putInt(off + 8, namelen);
        b.putInt(off + 12, 0);
        b.putLong(off + 16, iov);
        b.putLong(off + 24, iovlen);
        b.putLong(off + 32, control);
        b.putLong(off + 40, controllen);
        b.putInt(off + 48, 0);
        b.putInt(off + 52, 0);
    }

    static void putIovec(ByteBuffer b, int off, long base, long len) {
        b.putLong(off, base);
        b.putLong(off + 8, len);
    }

    /** sockaddr_in: family (native order), port and address (network order), 8 zero bytes. */
    static void putSockaddrIn(ByteBuffer b, int off, int addr, int port) {
        b.putShort(off, (short) AF_INET);
        b.put(off + 2, (byte) (port >>> 8));
        b.put(off + 3, (byte) port);
        b.put(off + 4, (byte) (addr >>> 24));
        b.put(off + 5, (byte) (addr >>> 16));
        b.put(off + 6, (byte) (addr >>> 8));
        b.put(off + 7, (byte) addr);
        b.putLong(off + 8, 0);
    }

    static int sockaddrAddr(ByteBuffer b, int off) {
        return ((b.get(off + 4) & 0xff) << 24) | ((b.get(off + 5) & 0xff) << 16) | ((b.get(off + 6) & 0xff) << 8)
                | (b.get(off + 7) & 0xff);
    }

    static int sockaddrPort(ByteBuffer b, int off) {
        return ((b.get(off + 2) & 0xff) << 8) | (b.get(off + 3) & 0xff);
    }

    /** A cmsg (SOL_UDP, UDP_SEGMENT, uint16 gsoSize) in CMSG_SPACE(2) = 24 bytes. */
    static void putSegmentCmsg(ByteBuffer b, int off, int gsoSize) {
        b.putLong(off, CMSG_LEN_U16);
        b.putInt(off + 8, SOL_UDP);
        b.putInt(off + 12, UDP_SEGMENT);
        b.putShort(off + 16, (short) gsoSize);
        b.putShort(off + 18, (short) 0);
        b.putInt(off + 20, 0);
    }

    /** The gso_size of a (SOL_UDP, UDP_GRO) cmsg among controllen bytes at off, or 0 if none. */
    static int groSize(ByteBuffer b, int off, int controllen) {
        int p = 0;
        while (p + CMSG_HDR <= controllen) {
            long len = b.getLong(off + p);
            if (len < CMSG_HDR || p + len > controllen) {
                return 0;
            }
            if (b.getInt(off + p + 8) == SOL_UDP && b.getInt(off + p + 12) == UDP_GRO && len >= CMSG_HDR + 2) {
                return len >= CMSG_HDR + 4 ? b.getInt(off + p + CMSG_HDR) : b.getShort(off + p + CMSG_HDR) & 0xffff;
            }
            p += (int) ((len + 7) & ~7L);
        }
        return 0;
    }

    // ------------------------------------------------------------------ sending

    /** One thread's send batch: packets are written into slots, then sent with one sendmmsg. */
    static final class Sender {
        final int capacity;
        final int slotSize;
        final ByteBuffer data;
        final ByteBuffer meta;
        final long dataAddr;
        final long metaAddr;
        final int iovOff;
        final int nameOff;
        final int ctrlOff;
        final int mmsgOff;
        private final ByteBuffer[] slots;
        final int[] len;
        final int[] addr;
        final int[] port;
        final boolean[] failed;
        /** Message m covers packets msgFirst[m] until msgEnd[m]. */
        final int[] msgFirst;
        final int[] msgEnd;
        int count;
        int messages;
        boolean gso;
        /** Counters for tests and diagnostics. */
        long calls;
        long gsoMessages;

        Sender(int capacity, int slotSize, boolean gso) {
            this.capacity = capacity;
            this.slotSize = slotSize;
            this.gso = gso;
            data = direct(capacity * slotSize);
            iovOff = 0;
            nameOff = iovOff + capacity * IOVEC;
            ctrlOff = nameOff + capacity * SOCKADDR_IN;
            mmsgOff = ctrlOff + capacity * CMSG_SPACE_U16;
            meta = direct(mmsgOff + capacity * MMSGHDR);
            dataAddr = address(data);
            metaAddr = address(meta);
            slots = new ByteBuffer[capacity];
            for (int i = 0; i < capacity; i++) {
                slots[i] = data.duplicate().position(i * slotSize).limit((i + 1) * slotSize).slice();
                putIovec(meta, iovOff + i * IOVEC, dataAddr + (long) i * slotSize, 0);
            }
            len = new int[capacity];
            addr = new int[capacity];
            port = new int[capacity];
            failed = new boolean[capacity];
            msgFirst = new int[capacity];
            msgEnd = new int[capacity];
        }

        boolean isEmpty() {
            return count == 0;
        }

        boolean full() {
            return count == capacity;
        }

        /** The next free slot, cleared (position 0, limit slotSize). */
        ByteBuffer slot() {
            ByteBuffer s = slots[count];
            s.clear();
            return s;
        }

        /** Takes the next slot's first n bytes as a datagram for addr:port. */
        void commit(int n, int toAddr, int toPort) {
            int i = count++;
            len[i] = n;
            addr[i] = toAddr;
            port[i] = toPort;
            failed[i] = false;
            meta.putLong(iovOff + i * IOVEC + 8, n);
            putSockaddrIn(meta, nameOff + i * SOCKADDR_IN, toAddr, toPort);
        }

        /**
         * Lays out the messages for packets from..count: with GSO, a run of packets to the same peer
         * whose sizes equal the first one's (the last may be shorter) becomes one message with a
         * UDP_SEGMENT cmsg; every other packet is a message of its own.
         */
        void plan(int from) {
            int m = 0;
            int i = from;
            while (i < count) {
                int first = i;
                int size = len[first];
                int total = size;
                int j = first + 1;
                if (gso) {
                    while (j < count && j - first < MAX_SEGMENTS && addr[j] == addr[first] && port[j] == port[first]
                            && len[j] <= size && total + len[j] <= MAX_GSO_BYTES) {
                        total += len[j];
                        j++;
                        if (len[j - 1] < size) {
                            break;
                        }
                    }
                }
                int segs = j - first;
                int mo = mmsgOff + m * MMSGHDR;
                long ctrl = 0;
                long ctrlLen = 0;
                if (segs > 1) {
                    putSegmentCmsg(meta, ctrlOff + first * CMSG_SPACE_U16, size);
                    ctrl = metaAddr + ctrlOff + (long) first * CMSG_SPACE_U16;
                    ctrlLen = CMSG_SPACE_U16;
                }
                putMsghdr(meta, mo, metaAddr + nameOff + (long) first * SOCKADDR_IN, SOCKADDR_IN,
                        metaAddr + iovOff + (long) first * IOVEC, segs, ctrl, ctrlLen);
                meta.putInt(mo + MSG_LEN, 0);
                msgFirst[m] = first;
                msgEnd[m] = j;
                m++;
                i = j;
            }
            messages = m;
        }

        /**
         * Sends the batch with as few sendmmsg calls as the kernel allows; marks packets of messages
         * that failed in {@link #failed}. If the kernel refuses GSO, it is turned off for good and the
         * rest is sent without. The batch stays filled (count) until {@link #reset()}.
         */
        void flush(int fd, ByteBuffer pollfd) {
            plan(0);
            LibC c = libc();
            int k = 0;
            int again = 0;
            while (k < messages) {
                calls++;
                int r = c.sendmmsg(fd, metaAddr + mmsgOff + (long) k * MMSGHDR, messages - k, 0);
                if (r > 0) {
                    for (int m = k; m < k + r; m++) {
                        if (msgEnd[m] - msgFirst[m] > 1) {
                            gsoMessages++;
                        }
                    }
                    k += r;
                    continue;
                }
                int e = r < 0 ? errno() : EAGAIN;
                if (e == EINTR) {
                    continue;
                }
                if (e == EAGAIN && again++ < 10) {
                    pollfd.putInt(0, fd);
                    pollfd.putShort(4, POLLOUT);
                    pollfd.putShort(6, (short) 0);
                    c.poll(pollfd, 1, 100);
                    continue;
                }
                if (gso && msgEnd[k] - msgFirst[k] > 1 && (e == EIO || e == EINVAL || e == EOPNOTSUPP)) {
                    gso = false;
                    log.info("UDP GSO refused ({}); sending datagram by datagram", c.strerror(e));
                    plan(msgFirst[k]);
                    k = 0;
                    continue;
                }
                for (int p = msgFirst[k]; p < msgEnd[k]; p++) {
                    failed[p] = true;
                }
                k++;
            }
        }

        void reset() {
            count = 0;
            messages = 0;
        }
    }

    // ------------------------------------------------------------------ receiving

    /** Where received datagrams go (position 0 = the datagram's first byte). */
    interface Sink {
        void datagram(ByteBuffer datagram, InetSocketAddress from);
    }

    /** One thread's receive batch: recvmmsg into N buffers, split GRO aggregates. */
    static final class Receiver {
        static final int BUF = 65536;
        static final int CONTROL = 64;
        final int capacity;
        final ByteBuffer data;
        final ByteBuffer meta;
        final long dataAddr;
        final long metaAddr;
        final int iovOff;
        final int nameOff;
        final int ctrlOff;
        final int mmsgOff;
        final ByteBuffer pollfd = direct(8);
        private int lastAddr;
        private int lastPort = -1;
        private InetSocketAddress lastFrom;
        long calls;
        long datagrams;

        Receiver(int capacity) {
            this.capacity = capacity;
            data = direct(capacity * BUF);
            iovOff = 0;
            nameOff = iovOff + capacity * IOVEC;
            ctrlOff = nameOff + capacity * SOCKADDR_IN;
            mmsgOff = ctrlOff + capacity * CONTROL;
            meta = direct(mmsgOff + capacity * MMSGHDR);
            dataAddr = address(data);
            metaAddr = address(meta);
            for (int i = 0; i < capacity; i++) {
                putIovec(meta, iovOff + i * IOVEC, dataAddr + (long) i * BUF, BUF);
            }
        }

        /**
         * Receives what is queued (up to capacity datagrams or aggregates) and hands each datagram to
         * sink; if nothing is queued, waits up to waitMillis for something and returns 0. Returns the
         * number of messages received, or -errno on an error.
         */
        int receive(int fd, int waitMillis, Sink sink) {
            for (int i = 0; i < capacity; i++) {
                putMsghdr(meta, mmsgOff + i * MMSGHDR, metaAddr + nameOff + (long) i * SOCKADDR_IN, SOCKADDR_IN,
                        metaAddr + iovOff + (long) i * IOVEC, 1, metaAddr + ctrlOff + (long) i * CONTROL, CONTROL);
            }
            LibC c = libc();
            calls++;
            int r = c.recvmmsg(fd, metaAddr + mmsgOff, capacity, MSG_DONTWAIT, 0);
            if (r < 0) {
                int e = errno();
                if (e == EAGAIN) {
                    pollfd.putInt(0, fd);
                    pollfd.putShort(4, POLLIN);
                    pollfd.putShort(6, (short) 0);
                    c.poll(pollfd, 1, waitMillis);
                    return 0;
                }
                return e == EINTR ? 0 : -e;
            }
            for (int i = 0; i < r; i++) {
                int mo = mmsgOff + i * MMSGHDR;
                int n = meta.getInt(mo + MSG_LEN);
                int flags = meta.getInt(mo + 48);
                if ((flags & MSG_TRUNC) != 0 || meta.getShort(nameOff + i * SOCKADDR_IN) != AF_INET) {
                    continue; // larger than 64 KiB: nothing of ours
                }
                int controllen = (int) meta.getLong(mo + 40);
                int seg = groSize(meta, ctrlOff + i * CONTROL, Math.min(controllen, CONTROL));
                if (seg <= 0 || seg > n) {
                    seg = n;
                }
                InetSocketAddress from = from(nameOff + i * SOCKADDR_IN);
                int base = i * BUF;
                for (int off = 0; off < n || (n == 0 && off == 0); off += Math.max(seg, 1)) {
                    int l = Math.min(seg, n - off);
                    ByteBuffer d = data.duplicate().position(base + off).limit(base + off + l).slice();
                    datagrams++;
                    sink.datagram(d, from);
                }
            }
            return r;
        }

        private InetSocketAddress from(int off) {
            int a = sockaddrAddr(meta, off);
            int p = sockaddrPort(meta, off);
            if (lastFrom == null || a != lastAddr || p != lastPort) {
                try {
                    lastFrom = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) (a >>> 24),
                            (byte) (a >>> 16), (byte) (a >>> 8), (byte) a}), p);
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
                lastAddr = a;
                lastPort = p;
            }
            return lastFrom;
        }
    }
}
