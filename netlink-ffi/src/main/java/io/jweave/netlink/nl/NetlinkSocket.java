package io.jweave.netlink.nl;

import io.jweave.netlink.NetlinkException;
import io.jweave.netlink.NetlinkStats;
import io.jweave.netlink.sys.Errno;
import io.jweave.netlink.sys.Sys;
import io.jweave.netlink.sys.SysException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import jnr.ffi.byref.IntByReference;

/**
 * A netlink socket: NETLINK_ROUTE unless opened with {@link #open(int)}. The socket lives in the network namespace of the thread that opened it,
 * whatever thread uses it later. Requests carry increasing sequence numbers; each call waits for
 * its ACK (or reads a dump to NLMSG_DONE), skipping stale replies to earlier, abandoned requests.
 * A receive timeout bounds every wait, so a silent kernel is an error, never a hang.
 */
public final class NetlinkSocket implements AutoCloseable {
    /** Receive buffer: dumps come in datagrams of at most 32 KiB; single replies may be larger. */
    private static final int RX_BUFFER = 256 * 1024;
    /** Bytes of requests sent in one sendto() when batching. */
    private static final int TX_CHUNK = 64 * 1024;
    private static final int DUMP_RETRIES = 5;

    private final int fd;
    private final int portId;
    private final byte[] rx = new byte[RX_BUFFER];
    private byte[] tx = new byte[TX_CHUNK + NlRequest.MAX_MESSAGE];
    private int seq;
    private volatile boolean closed;

    private NetlinkSocket(int fd, int portId, int firstSeq) {
        this.fd = fd;
        this.portId = portId;
        this.seq = firstSeq;
    }

    /** Opens a request socket in the calling thread's network namespace. */
    public static NetlinkSocket open() {
        return open(0, 10_000);
    }

    /**
     * Opens a socket subscribed to the given multicast groups (RTNLGRP_* numbers, none for a request
     * socket), with {@code timeoutMillis} as the longest wait for one datagram.
     */
    public static NetlinkSocket open(long groupsBitmap, int timeoutMillis) {
        return open(Sys.NETLINK_ROUTE, groupsBitmap, timeoutMillis);
    }

    /** Opens a request socket of another netlink protocol (Sys.NETLINK_NETFILTER) in the calling thread's namespace. */
    public static NetlinkSocket open(int protocol) {
        return open(protocol, 0, 10_000);
    }

    private static NetlinkSocket open(int protocol, long groupsBitmap, int timeoutMillis) {
        int fd = Sys.check(Sys.libc().socket(Sys.AF_NETLINK, Sys.SOCK_RAW | Sys.SOCK_CLOEXEC, protocol),
                "socket(AF_NETLINK, " + protocol + ")");
        try {
            setInt(fd, Sys.SOL_NETLINK, Sys.NETLINK_EXT_ACK, 1);
            setInt(fd, Sys.SOL_NETLINK, Sys.NETLINK_CAP_ACK, 1);
            forceBuffer(fd, Sys.SO_RCVBUFFORCE, Sys.SO_RCVBUF, 4 << 20);
            forceBuffer(fd, Sys.SO_SNDBUFFORCE, Sys.SO_SNDBUF, 1 << 20);
            setTimeout(fd, timeoutMillis);
            byte[] sa = sockaddrNl(0, 0);
            Sys.check(Sys.libc().bind(fd, sa, sa.length), "bind(AF_NETLINK)");
            for (int g = 1; g < 64; g++) {
                if ((groupsBitmap & (1L << g)) != 0) {
                    setInt(fd, Sys.SOL_NETLINK, Sys.NETLINK_ADD_MEMBERSHIP, g);
                }
            }
            byte[] out = new byte[12];
            IntByReference outLen = new IntByReference(out.length);
            Sys.check(Sys.libc().getsockname(fd, out, outLen), "getsockname(AF_NETLINK)");
            int pid = (out[4] & 0xff) | (out[5] & 0xff) << 8 | (out[6] & 0xff) << 16 | (out[7] & 0xff) << 24;
            return new NetlinkSocket(fd, pid, (int) (System.nanoTime() & 0x3fffffff) + 1);
        } catch (RuntimeException e) {
            Sys.closeQuietly(fd);
            throw e;
        }
    }

    private static void setInt(int fd, int level, int opt, int value) {
        byte[] v = {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
        Sys.check(Sys.libc().setsockopt(fd, level, opt, v, 4), "setsockopt(" + level + "," + opt + ")");
    }

    private static void forceBuffer(int fd, int forceOpt, int opt, int size) {
        byte[] v = {(byte) size, (byte) (size >>> 8), (byte) (size >>> 16), (byte) (size >>> 24)};
        if (Sys.libc().setsockopt(fd, Sys.SOL_SOCKET, forceOpt, v, 4) < 0) {
            // Without CAP_NET_ADMIN: fall back to what rmem_max/wmem_max allow.
            Sys.libc().setsockopt(fd, Sys.SOL_SOCKET, opt, v, 4);
        }
    }

    private static void setTimeout(int fd, int millis) {
        long sec = millis / 1000;
        long usec = (millis % 1000) * 1000L;
        byte[] tv = new byte[16];
        for (int i = 0; i < 8; i++) {
            tv[i] = (byte) (sec >>> (8 * i));
            tv[8 + i] = (byte) (usec >>> (8 * i));
        }
        Sys.check(Sys.libc().setsockopt(fd, Sys.SOL_SOCKET, Sys.SO_RCVTIMEO, tv, 16), "setsockopt(SO_RCVTIMEO)");
    }

    private static byte[] sockaddrNl(int pid, int groups) {
        byte[] sa = new byte[12];
        sa[0] = (byte) Sys.AF_NETLINK;
        sa[4] = (byte) pid;
        sa[5] = (byte) (pid >>> 8);
        sa[6] = (byte) (pid >>> 16);
        sa[7] = (byte) (pid >>> 24);
        sa[8] = (byte) groups;
        return sa;
    }

    private static final byte[] KERNEL = sockaddrNl(0, 0);

    public int portId() {
        return portId;
    }

    private int nextSeq() {
        seq = seq == Integer.MAX_VALUE ? 1 : seq + 1;
        return seq;
    }

    private void send(byte[] buf, int len, String operation) {
        ensureOpen();
        long n;
        do {
            n = Sys.libc().sendto(fd, buf, len, 0, KERNEL, KERNEL.length);
        } while (n < 0 && Sys.errno() == Sys.EINTR);
        if (n < 0) {
            throw NetlinkException.refused(operation, Sys.errno(), "sendto failed");
        }
    }

    /** Receives one datagram; throws on timeout. */
    private List<NlMsg> receive(String operation) {
        ensureOpen();
        long n;
        do {
            n = Sys.libc().recv(fd, rx, rx.length, Sys.MSG_TRUNC);
        } while (n < 0 && Sys.errno() == Sys.EINTR);
        if (n < 0) {
            int err = Sys.errno();
            if (err == Sys.EAGAIN) {
                throw NetlinkException.refused(operation, Errno.ETIMEDOUT, "no reply from the kernel");
            }
            throw NetlinkException.refused(operation, err, "recv failed");
        }
        if (n > rx.length) {
            throw new NetlinkProtocolException(operation + ": reply of " + n + " bytes truncated to " + rx.length);
        }
        // Messages are views on their datagram; the receive buffer is reused by the next recv().
        return NlMsg.parseAll(java.util.Arrays.copyOf(rx, (int) n), (int) n);
    }

    /** Sends a request and waits for its ACK; a negative error becomes {@link NetlinkException}. */
    public synchronized void execute(NlRequest req, String operation) {
        NetlinkStats.sent(1);
        try {
            executeCounted(req, operation);
        } catch (RuntimeException e) {
            NetlinkStats.failed(1);
            throw e;
        }
    }

    private void executeCounted(NlRequest req, String operation) {
        int s = nextSeq();
        int len = req.writeTo(tx, 0, s);
        patchFlags(tx, 0, req.flags() | Rtnl.NLM_F_ACK);
        send(tx, len, operation);
        while (true) {
            for (NlMsg m : receive(operation)) {
                if (m.seq() != s || m.pid() != portId) {
                    continue; // stale reply to an earlier request, or a notification
                }
                if (m.type() == Rtnl.NLMSG_ERROR) {
                    int err = errorCode(m);
                    if (err != 0) {
                        throw new NetlinkException(operation, -err, extAckMessage(m));
                    }
                    return;
                }
            }
        }
    }

    /**
     * Sends a dump request and returns every message of the reply (up to NLMSG_DONE). A dump the
     * kernel marks as interrupted by a concurrent change is restarted.
     */
    public synchronized List<NlMsg> dump(NlRequest req, String operation) {
        NetlinkStats.dumped();
        try {
            return dumpCounted(req, operation);
        } catch (RuntimeException e) {
            NetlinkStats.failed(1);
            throw e;
        }
    }

    private List<NlMsg> dumpCounted(NlRequest req, String operation) {
        for (int attempt = 0; ; attempt++) {
            List<NlMsg> out = new ArrayList<>();
            if (!collect(req, req.flags() | Rtnl.NLM_F_DUMP, operation, out)) {
                return out;
            }
            if (attempt >= DUMP_RETRIES) {
                throw NetlinkException.refused(operation, Errno.EAGAIN, "dump kept being interrupted by concurrent changes");
            }
        }
    }

    /** Sends a (non-dump) GET request and returns the reply messages that precede its ACK. */
    public synchronized List<NlMsg> query(NlRequest req, String operation) {
        NetlinkStats.sent(1);
        List<NlMsg> out = new ArrayList<>();
        try {
            collect(req, req.flags() | Rtnl.NLM_F_ACK, operation, out);
        } catch (RuntimeException e) {
            NetlinkStats.failed(1);
            throw e;
        }
        return out;
    }

    /** Sends and gathers replies up to NLMSG_DONE or the ACK; returns whether the dump was interrupted. */
    private boolean collect(NlRequest req, int flags, String operation, List<NlMsg> out) {
        int s = nextSeq();
        int len = req.writeTo(tx, 0, s);
        patchFlags(tx, 0, flags);
        send(tx, len, operation);
        boolean interrupted = false;
        while (true) {
            for (NlMsg m : receive(operation)) {
                if (m.seq() != s || m.pid() != portId) {
                    continue;
                }
                if ((m.flags() & Rtnl.NLM_F_DUMP_INTR) != 0) {
                    interrupted = true;
                }
                if (m.type() == Rtnl.NLMSG_DONE) {
                    if (m.payload().length() >= 4 && m.payload().u32(0) < 0) {
                        throw new NetlinkException(operation, -m.payload().u32(0), null);
                    }
                    return interrupted;
                }
                if (m.type() == Rtnl.NLMSG_ERROR) {
                    int err = errorCode(m);
                    if (err != 0) {
                        throw new NetlinkException(operation, -err, extAckMessage(m));
                    }
                    return interrupted;
                }
                out.add(m);
            }
        }
    }

    /** One failed request of a batch: its index in the list and the kernel's error. */
    public record BatchFailure(int index, NetlinkException error) {
    }

    /**
     * Sends many requests with as few system calls as the kernel allows: requests are packed into
     * large datagrams, only the last of each datagram asks for an ACK (the kernel reports every
     * failure anyway), and the replies are read once per datagram. Returns the failures, in order;
     * {@code describe} names the object of request i for error messages.
     */
    public synchronized List<BatchFailure> executeBatch(List<NlRequest> reqs, IntFunction<String> describe) {
        NetlinkStats.sent(reqs.size());
        try {
            List<BatchFailure> failures = executeBatchCounted(reqs, describe);
            NetlinkStats.failed(failures.size());
            return failures;
        } catch (RuntimeException e) {
            NetlinkStats.failed(1);
            throw e;
        }
    }

    private List<BatchFailure> executeBatchCounted(List<NlRequest> reqs, IntFunction<String> describe) {
        List<BatchFailure> failures = new ArrayList<>();
        if (seq > Integer.MAX_VALUE - reqs.size() - 1) {
            seq = 0; // replies are matched by seq - firstSeq: the numbers must not wrap inside a batch
        }
        int i = 0;
        while (i < reqs.size()) {
            int start = i;
            int firstSeq = seq + 1;
            int len = 0;
            while (i < reqs.size() && (len == 0 || len + reqs.get(i).length() <= TX_CHUNK)) {
                NlRequest r = reqs.get(i);
                if (len + r.length() + 4 > tx.length) {
                    tx = java.util.Arrays.copyOf(tx, len + r.length() + 4);
                }
                int off = len;
                len += r.writeTo(tx, off, nextSeq());
                patchFlags(tx, off, r.flags() & ~Rtnl.NLM_F_ACK);
                i++;
            }
            int lastSeq = seq;
            int lastOff = len - Rtnl.align(reqs.get(i - 1).length());
            patchFlags(tx, lastOff, reqs.get(i - 1).flags() | Rtnl.NLM_F_ACK);
            send(tx, len, describe.apply(start) + " (batch)");
            boolean acked = false;
            while (!acked) {
                for (NlMsg m : receive(describe.apply(i - 1))) {
                    if (m.pid() != portId || m.type() != Rtnl.NLMSG_ERROR) {
                        continue;
                    }
                    int idx = start + (m.seq() - firstSeq);
                    if (idx < start || idx >= i) {
                        continue; // not from this chunk
                    }
                    int err = errorCode(m);
                    if (err != 0) {
                        failures.add(new BatchFailure(idx, new NetlinkException(describe.apply(idx), -err, extAckMessage(m))));
                    }
                    if (m.seq() == lastSeq) {
                        acked = true;
                    }
                }
            }
        }
        return failures;
    }

    /**
     * Sends {@code reqs} as one transaction, framed by {@code begin} and {@code end} (nfnetlink's
     * NFNL_MSG_BATCH_BEGIN/END), in one datagram: the kernel applies all of them or none. Every
     * request asks for an ACK; the kernel answers them once the whole batch has been processed.
     * When any request is refused, nothing is applied and the first refusal is thrown, its operation
     * {@code operation + ": " + describe(index)}, later ones attached as suppressed exceptions.
     */
    public synchronized void executeTransaction(NlRequest begin, List<NlRequest> reqs, NlRequest end,
                                                String operation, IntFunction<String> describe) {
        NetlinkStats.sent(reqs.size());
        try {
            executeTransactionCounted(begin, reqs, end, operation, describe);
        } catch (RuntimeException e) {
            NetlinkStats.failed(1);
            throw e;
        }
    }

    private void executeTransactionCounted(NlRequest begin, List<NlRequest> reqs, NlRequest end,
                                           String operation, IntFunction<String> describe) {
        if (seq > Integer.MAX_VALUE - reqs.size() - 2) {
            seq = 0; // replies are matched by seq - beginSeq
        }
        int total = begin.length() + end.length() + 8;
        for (NlRequest r : reqs) {
            total += Rtnl.align(r.length());
        }
        if (total > tx.length) {
            tx = java.util.Arrays.copyOf(tx, total);
        }
        int beginSeq = nextSeq();
        int len = begin.writeTo(tx, 0, beginSeq);
        for (NlRequest r : reqs) {
            int off = len;
            len += Rtnl.align(r.writeTo(tx, off, nextSeq()));
            patchFlags(tx, off, r.flags() | Rtnl.NLM_F_ACK);
        }
        int endSeq = nextSeq();
        len += end.writeTo(tx, len, endSeq);
        send(tx, len, operation);

        boolean[] answered = new boolean[reqs.size()];
        int pending = reqs.size();
        java.util.TreeMap<Integer, NetlinkException> refused = new java.util.TreeMap<>();
        while (pending > 0) {
            for (NlMsg m : receive(operation)) {
                if (m.pid() != portId || m.type() != Rtnl.NLMSG_ERROR) {
                    continue;
                }
                int err = errorCode(m);
                if (m.seq() == beginSeq || m.seq() == endSeq) {
                    // the batch as a whole was refused (or its commit failed): nothing was applied
                    if (err != 0) {
                        throw new NetlinkException(operation, -err, extAckMessage(m));
                    }
                    continue;
                }
                int idx = m.seq() - beginSeq - 1;
                if (idx < 0 || idx >= reqs.size() || answered[idx]) {
                    continue; // stale reply to an earlier request
                }
                answered[idx] = true;
                pending--;
                if (err != 0) {
                    refused.put(idx, new NetlinkException(operation + ": " + describe.apply(idx), -err, extAckMessage(m)));
                }
            }
        }
        if (!refused.isEmpty()) {
            NetlinkException first = refused.firstEntry().getValue();
            refused.values().stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }

    /** Blocks up to the socket timeout for the next datagram of notifications; empty on timeout. */
    public List<NlMsg> receiveNotifications() {
        ensureOpen();
        long n = Sys.libc().recv(fd, rx, rx.length, Sys.MSG_TRUNC);
        if (n < 0) {
            int err = Sys.errno();
            if (err == Sys.EAGAIN || err == Sys.EINTR) {
                return List.of();
            }
            if (closed) {
                return List.of();
            }
            if (err == Errno.ENOBUFS) {
                throw NetlinkException.refused("receive notifications", err, "events were lost; resynchronise with a dump");
            }
            throw new SysException("recv(netlink notifications)", err);
        }
        if (n > rx.length) {
            throw new NetlinkProtocolException("notification of " + n + " bytes truncated to " + rx.length);
        }
        return NlMsg.parseAll(java.util.Arrays.copyOf(rx, (int) n), (int) n);
    }

    private static void patchFlags(byte[] buf, int off, int flags) {
        buf[off + 6] = (byte) flags;
        buf[off + 7] = (byte) (flags >>> 8);
    }

    private static int errorCode(NlMsg m) {
        if (m.payload().length() < 4) {
            throw new NetlinkProtocolException("NLMSG_ERROR with " + m.payload().length() + " bytes of payload");
        }
        return m.payload().u32(0);
    }

    /** The kernel's extended-ack text (NLMSGERR_ATTR_MSG), if any. */
    private static String extAckMessage(NlMsg m) {
        if ((m.flags() & Rtnl.NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        Bytes p = m.payload();
        if (p.length() < 4 + Rtnl.NLMSG_HDRLEN) {
            return null;
        }
        // error code, then the original header (capped) or the whole original message, then TLVs.
        int origLen = (m.flags() & Rtnl.NLM_F_CAPPED) != 0 ? Rtnl.NLMSG_HDRLEN : p.u32(4);
        int tlvOff = 4 + Rtnl.align(origLen);
        if (origLen < Rtnl.NLMSG_HDRLEN || tlvOff > p.length()) {
            return null;
        }
        return NlAttrs.parse(p.slice(tlvOff, p.length() - tlvOff)).string(Rtnl.NLMSGERR_ATTR_MSG);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("netlink socket is closed");
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Sys.closeQuietly(fd);
        }
    }
}
