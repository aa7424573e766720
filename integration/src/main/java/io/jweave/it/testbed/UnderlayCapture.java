package io.jweave.it.testbed;

import io.jweave.capture.CaptureException;
import io.jweave.capture.Libpcap;
import io.jweave.capture.NamespaceCapture;
import io.jweave.netlink.NetNs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live packet capture on an interface inside a named network namespace (a test bed's underlay
 * bridge {@code br0}, a host's {@code eth0}, ...), kept in memory for assertions, and raw frame
 * injection for replay/tamper tests. Built on pcap4j (libpcap through JNA); needs root and
 * libpcap0.8.
 *
 * <pre>
 * try (UnderlayCapture cap = UnderlayCapture.start(tb.underlayNetns(), "br0", null)) {
 *     ... traffic ...
 *     cap.awaitCount(f -> true, 10, Duration.ofSeconds(5));
 *     assertEquals(0, cap.countUdp(4789));
 *     assertFalse(cap.contains("HZC".getBytes(US_ASCII)));
 *     cap.writePcap(tb.logDir().resolve("underlay.pcap"));
 * }
 * </pre>
 *
 * <p>libpcap's AF_PACKET socket belongs to the network namespace of the thread that creates it, so
 * the handle is opened on a short-lived thread that entered the namespace ({@link NetNs#call}); the
 * socket stays there, and one background thread of ours reads it until {@link #close()}.
 *
 * <p>Frames are kept whole (snap length {@value #SNAPLEN}: GSO/GRO frames on veths can be ~64 KiB
 * plus headers) up to a frame and a byte cap; what exceeds a cap is counted in {@link #dropped()}.
 */
public final class UnderlayCapture implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UnderlayCapture.class);

    /** Bytes kept per frame. 262144 is libpcap's own maximum; 65535 would cut the tail of GSO frames. */
    public static final int SNAPLEN = 262_144;
    public static final int DEFAULT_MAX_FRAMES = 200_000;
    public static final long DEFAULT_MAX_BYTES = 256L << 20;
    /**
     * pcap read timeout. libpcap 1.10.3 on Linux does not honour it while no frame arrives (a read
     * blocks until a frame or pcap_breakloop), so close() relies on pcap_breakloop, not on this.
     */
    static final int READ_TIMEOUT_MS = 50;
    private static final int KERNEL_BUFFER = 16 << 20;

    /** One captured frame: when, the bytes kept, and the length on the wire. */
    public record Frame(Instant time, byte[] data, int wireLength) {
    }

    private final String netns;
    private final String ifName;
    private final String filter;
    private final int maxFrames;
    private final long maxBytes;
    private final PcapHandle handle;
    private final Thread reader;
    private final Object lock = new Object();
    private final List<Frame> frames = new ArrayList<>();
    private long bytes;
    private long dropped;
    private volatile boolean stopping;
    private volatile Throwable failure;
    private PcapStat lastStats;
    private boolean closed;

    private UnderlayCapture(String netns, String ifName, String filter, int maxFrames, long maxBytes, PcapHandle handle) {
        this.netns = netns;
        this.ifName = ifName;
        this.filter = filter;
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
        this.handle = handle;
        this.reader = new Thread(this::readLoop, "capture-" + netns + "-" + ifName);
        this.reader.setDaemon(true);
    }

    // ---------------------------------------------------------------- start / inject

    /**
     * Starts capturing on {@code ifName} in the named network namespace ({@code /run/netns/NAME}),
     * promiscuous, immediate mode. {@code bpfFilter} (tcpdump syntax) may be null for everything.
     * When this returns the socket is bound: every frame that crosses the interface afterwards is seen.
     */
    public static UnderlayCapture start(String netnsName, String ifName, String bpfFilter) {
        return start(netnsName, ifName, bpfFilter, DEFAULT_MAX_FRAMES, DEFAULT_MAX_BYTES);
    }

    /** As {@link #start(String, String, String)}, keeping at most {@code maxFrames} frames and {@code maxBytes} bytes. */
    public static UnderlayCapture start(String netnsName, String ifName, String bpfFilter, int maxFrames, long maxBytes) {
        if (maxFrames < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("maxFrames and maxBytes must be positive");
        }
        PcapHandle h = open(netnsName, ifName, true, bpfFilter);
        UnderlayCapture c = new UnderlayCapture(netnsName, ifName, bpfFilter, maxFrames, maxBytes, h);
        c.reader.start();
        log.debug("capturing on {} in {} (filter {})", ifName, netnsName, bpfFilter);
        return c;
    }

    /**
     * Sends raw Ethernet frames out of {@code ifName} in the named namespace, as they are (no checksum
     * is touched: see {@link #fixChecksums}). The frame leaves the interface, so to replay toward a
     * host inject on the other end of its link (its peer namespace's end, or its port on the underlay
     * bridge, e.g. {@code ul-host1} in the underlay namespace).
     */
    public static void inject(String netnsName, String ifName, byte[]... frames) {
        inject(netnsName, ifName, List.of(frames));
    }

    public static void inject(String netnsName, String ifName, List<byte[]> frames) {
        PcapHandle h = open(netnsName, ifName, false, null);
        try {
            int i = 0;
            for (byte[] f : frames) {
                if (f.length < 14) {
                    throw new IllegalArgumentException("frame " + i + " is " + f.length + " bytes, shorter than an Ethernet header");
                }
                try {
                    h.sendPacket(f);
                } catch (PcapNativeException | NotOpenException e) {
                    throw new TestbedException("cannot send frame " + i + " (" + f.length + " bytes) on " + ifName
                            + " in network namespace \"" + netnsName + "\": " + e.getMessage(), e);
                }
                i++;
            }
        } finally {
            h.close();
        }
    }

    private static PcapHandle open(String netnsName, String ifName, boolean capture, String bpfFilter) {
        if (netnsName == null || netnsName.isEmpty() || netnsName.contains("/") || !NetNs.exists(netnsName)) {
            throw new IllegalArgumentException("no network namespace \"" + netnsName + "\" (no "
                    + NetNs.NETNS_RUN_DIR + "/" + netnsName + ")");
        }
        if (ifName == null || ifName.isEmpty()) {
            throw new IllegalArgumentException("no interface name given for network namespace \"" + netnsName + "\"");
        }
        ensureLibpcap();
        try (NetNs ns = NetNs.openNamed(netnsName)) {
            return ns.call(() -> {
                List<String> present = NamespaceCapture.interfacesOfThisThread();
                if (!present.contains(ifName)) {
                    throw new IllegalArgumentException("no interface \"" + ifName + "\" in network namespace \""
                            + netnsName + "\" (it has " + String.join(", ", present) + ")");
                }
                String where = ifName + " in network namespace \"" + netnsName + "\"";
                PcapHandle h;
                try {
                    PcapHandle.Builder b = new PcapHandle.Builder(ifName).snaplen(SNAPLEN).timeoutMillis(READ_TIMEOUT_MS);
                    if (capture) {
                        b.promiscuousMode(PromiscuousMode.PROMISCUOUS).immediateMode(true).bufferSize(KERNEL_BUFFER);
                    } else {
                        b.promiscuousMode(PromiscuousMode.NONPROMISCUOUS);
                    }
                    h = b.build();
                } catch (PcapNativeException e) {
                    throw new TestbedException("cannot open a capture on " + where + ": " + e.getMessage(), e);
                }
                if (capture && h.getDlt() != DataLinkType.EN10MB) {
                    String dlt = String.valueOf(h.getDlt());
                    h.close();
                    throw new TestbedException(where + " is not an Ethernet interface (link type " + dlt + ")");
                }
                if (bpfFilter != null) {
                    try {
                        h.setFilter(bpfFilter, BpfProgram.BpfCompileMode.OPTIMIZE);
                    } catch (PcapNativeException | NotOpenException e) {
                        h.close();
                        throw new IllegalArgumentException("bad capture filter \"" + bpfFilter + "\" on " + where
                                + ": " + e.getMessage(), e);
                    }
                }
                return h;
            });
        }
    }

    // ---------------------------------------------------------------- libpcap

    /**
     * Makes sure pcap4j can load libpcap ({@link Libpcap#ensureLoaded}, once per JVM), before any other
     * pcap4j class is touched; if it cannot, a {@link TestbedException} with the capture module's message
     * and the test suite's installer.
     */
    static void ensureLibpcap() {
        try {
            Libpcap.ensureLoaded();
        } catch (CaptureException e) {
            throw new TestbedException(e.getMessage() + "; for the tests: scripts/install-prereqs.sh tests", e);
        }
    }

    // ---------------------------------------------------------------- capture thread

    private void readLoop() {
        try {
            while (!stopping) {
                byte[] raw;
                try {
                    raw = handle.getNextRawPacketEx();
                } catch (TimeoutException e) {
                    continue;
                }
                Timestamp ts = handle.getTimestamp();
                Integer wire = handle.getOriginalLength();
                Frame f = new Frame(ts != null ? ts.toInstant() : Instant.now(), raw, wire != null ? wire : raw.length);
                synchronized (lock) {
                    if (frames.size() >= maxFrames || bytes + raw.length > maxBytes) {
                        dropped++;
                    } else {
                        frames.add(f);
                        bytes += raw.length;
                        lock.notifyAll();
                    }
                }
            }
        } catch (Throwable t) { // PcapNativeException, EOFException, NotOpenException, anything unexpected
            if (!stopping) {
                failure = t;
                log.warn("capture on {} in {} stopped: {}", ifName, netns, t.toString());
            }
        } finally {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    // ---------------------------------------------------------------- accessors

    /** Copies of the frames captured so far, in order. */
    public List<Frame> captured() {
        synchronized (lock) {
            return List.copyOf(frames);
        }
    }

    /** The raw Ethernet frames captured so far, in order (the arrays themselves: do not modify them). */
    public List<byte[]> frames() {
        return captured().stream().map(Frame::data).toList();
    }

    public int count() {
        synchronized (lock) {
            return frames.size();
        }
    }

    /** Frames not kept because a cap was reached (not the kernel's drops: {@link #kernelDrops()}). */
    public long dropped() {
        synchronized (lock) {
            return dropped;
        }
    }

    /** Frames the kernel dropped because we read too slowly (pcap_stats ps_drop), or -1 if unknown. */
    public long kernelDrops() {
        synchronized (lock) {
            PcapStat s = closed ? lastStats : stats();
            return s == null ? -1 : s.getNumPacketsDropped();
        }
    }

    private PcapStat stats() {
        try {
            return handle.getStats();
        } catch (PcapNativeException | NotOpenException e) {
            return null;
        }
    }

    /** What stopped the capture thread early (a read error), or null. */
    public Throwable failure() {
        return failure;
    }

    public String netns() {
        return netns;
    }

    public String interfaceName() {
        return ifName;
    }

    public boolean contains(byte[] needle) {
        return captured().stream().anyMatch(f -> indexOf(f.data(), needle, 0) >= 0);
    }

    public boolean contains(String asciiNeedle) {
        return contains(asciiNeedle.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Number of frames containing {@code needle} anywhere (headers included). */
    public long countContaining(byte[] needle) {
        return countMatching(f -> indexOf(f, needle, 0) >= 0);
    }

    public long countMatching(Predicate<byte[]> frame) {
        return captured().stream().filter(f -> frame.test(f.data())).count();
    }

    /** IPv4 UDP and TCP frames, parsed (others are left out). */
    public List<L4> ipv4() {
        return captured().stream().map(f -> parse(f.data())).flatMap(Optional::stream).toList();
    }

    /** IPv4 UDP datagrams to {@code dstPort}. */
    public List<L4> udp(int dstPort) {
        return ipv4().stream().filter(p -> p.isUdp() && p.dstPort() == dstPort).toList();
    }

    /** Payloads of IPv4 UDP datagrams to {@code dstPort}. */
    public List<byte[]> udpPayloads(int dstPort) {
        return udp(dstPort).stream().map(L4::payload).toList();
    }

    public long countUdp(int dstPort) {
        return udp(dstPort).size();
    }

    /** IPv4 TCP segments from or to {@code port}. */
    public List<L4> tcp(int port) {
        return ipv4().stream().filter(p -> p.isTcp() && (p.srcPort() == port || p.dstPort() == port)).toList();
    }

    /** Non-empty payloads of IPv4 TCP segments from or to {@code port}. */
    public List<byte[]> tcpPayloads(int port) {
        return tcp(port).stream().filter(p -> p.payloadLength() > 0).map(L4::payload).toList();
    }

    public long countTcp(int port) {
        return tcp(port).size();
    }

    /**
     * Waits until at least {@code atLeast} captured frames match, or {@code timeout}. Returns whether
     * they did. (Sent frames reach the capture thread a little later than the receiver's socket.)
     */
    public boolean await(Predicate<byte[]> match, long atLeast, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        long matched = 0;
        synchronized (lock) {
            while (true) {
                for (; seen < frames.size(); seen++) {
                    if (match.test(frames.get(seen).data())) {
                        matched++;
                    }
                }
                if (matched >= atLeast) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !reader.isAlive()) {
                    return false;
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** Waits until {@code atLeast} frames were captured in all. */
    public boolean awaitCount(long atLeast, Duration timeout) {
        return await(f -> true, atLeast, timeout);
    }

    /** Forgets the frames captured so far (and the cap drops); the capture goes on. */
    public void clear() {
        synchronized (lock) {
            frames.clear();
            bytes = 0;
            dropped = 0;
        }
    }

    /**
     * Writes the frames captured so far as a classic pcap file (Ethernet, microsecond timestamps)
     * through libpcap's dumper, for test reports; read it with tcpdump/wireshark or pcap4j offline.
     */
    public void writePcap(Path file) {
        writePcap(file, captured());
    }

    public static void writePcap(Path file, List<Frame> frames) {
        ensureLibpcap();
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PcapHandle dead;
        try {
            dead = Pcaps.openDead(DataLinkType.EN10MB, SNAPLEN);
        } catch (PcapNativeException e) {
            throw new TestbedException("pcap_open_dead: " + e.getMessage(), e);
        }
        try (dead) {
            PcapDumper d = dead.dumpOpen(file.toString());
            try (d) {
                for (Frame f : frames) {
                    d.dumpRaw(f.data(), Timestamp.from(f.time()));
                }
                d.flush();
            }
        } catch (PcapNativeException | NotOpenException e) {
            throw new TestbedException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads the frames of a pcap file (pcap4j offline), e.g. one written by {@link #writePcap}. */
    public static List<byte[]> readPcap(Path file) {
        ensureLibpcap();
        List<byte[]> out = new ArrayList<>();
        try (PcapHandle h = Pcaps.openOffline(file.toString())) {
            while (true) {
                try {
                    out.add(h.getNextRawPacketEx());
                } catch (java.io.EOFException e) {
                    return out;
                } catch (TimeoutException e) {
                    // not for offline handles; try again
                }
            }
        } catch (PcapNativeException | NotOpenException e) {
            throw new TestbedException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Stops the capture thread, then frees the handle. Idempotent; never leaves a thread or socket. */
    @Override
    public synchronized void close() { // synchronized: two closers must not both tear down
        synchronized (lock) {
            if (closed) {
                return;
            }
        }
        stopping = true;
        // libpcap 1.10 on Linux does not return from a read on its timeout while no frame arrives
        // (immediate mode or not), so the stop flag alone is not seen; pcap_breakloop wakes the
        // blocked poll (an eventfd since libpcap 1.10) and the read ends with PCAP_ERROR_BREAK.
        for (int attempt = 0; attempt < 3 && reader.isAlive(); attempt++) {
            try {
                handle.breakLoop();
                reader.join(2_000);
            } catch (NotOpenException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        synchronized (lock) {
            lastStats = stats();
            closed = true;
        }
        handle.close(); // waits for a read in progress (pcap4j's handle lock)
        if (reader.isAlive()) {
            throw new TestbedException("capture thread " + reader.getName() + " did not stop");
        }
    }

    @Override
    public String toString() {
        return "UnderlayCapture(" + ifName + " in " + netns + (filter != null ? ", filter " + filter : "")
                + ", " + count() + " frames)";
    }

    // ---------------------------------------------------------------- parsing and tampering

    /**
     * An IPv4 UDP or TCP packet inside an Ethernet frame (an 802.1Q tag is skipped). Offsets are into
     * {@code frame}; the payload ends where the IP total length says (Ethernet padding excluded).
     */
    public record L4(byte[] frame, int protocol, Inet4Address src, Inet4Address dst, int srcPort, int dstPort,
                     int ipOffset, int l4Offset, int payloadOffset, int payloadLength) {
        public static final int TCP = 6;
        public static final int UDP = 17;

        public boolean isUdp() {
            return protocol == UDP;
        }

        public boolean isTcp() {
            return protocol == TCP;
        }

        public byte[] payload() {
            return Arrays.copyOfRange(frame, payloadOffset, payloadOffset + payloadLength);
        }

        @Override
        public String toString() {
            return (isUdp() ? "UDP " : "TCP ") + src.getHostAddress() + ":" + srcPort + " > " + dst.getHostAddress()
                    + ":" + dstPort + " payload " + payloadLength;
        }
    }

    /** Parses an IPv4 UDP/TCP frame; empty for anything else (ARP, IPv6, non-first fragments, truncated). */
    public static Optional<L4> parse(byte[] f) {
        int off = 12;
        if (f.length < off + 2) {
            return Optional.empty();
        }
        int type = u16(f, off);
        off += 2;
        if (type == 0x8100 && f.length >= off + 4) {
            type = u16(f, off + 2);
            off += 4;
        }
        if (type != 0x0800 || f.length < off + 20 || (f[off] & 0xf0) != 0x40) {
            return Optional.empty();
        }
        int ip = off;
        int ihl = (f[ip] & 0x0f) * 4;
        int total = u16(f, ip + 2);
        int fragOffset = u16(f, ip + 6) & 0x1fff;
        int proto = f[ip + 9] & 0xff;
        int end = Math.min(f.length, ip + total);
        if (ihl < 20 || total < ihl || fragOffset != 0 || (proto != L4.UDP && proto != L4.TCP)) {
            return Optional.empty();
        }
        int l4 = ip + ihl;
        int hdr;
        if (proto == L4.UDP) {
            hdr = 8;
            if (end < l4 + hdr) {
                return Optional.empty();
            }
            end = Math.min(end, l4 + Math.max(hdr, u16(f, l4 + 4)));
        } else {
            if (end < l4 + 20) {
                return Optional.empty();
            }
            hdr = ((f[l4 + 12] & 0xf0) >> 4) * 4;
            if (hdr < 20 || end < l4 + hdr) {
                return Optional.empty();
            }
        }
        return Optional.of(new L4(f, proto, addr(f, ip + 12), addr(f, ip + 16), u16(f, l4), u16(f, l4 + 2),
                ip, l4, l4 + hdr, end - (l4 + hdr)));
    }

    /** A copy of {@code frame} with bit {@code bit} (0 = most significant bit of byte 0) inverted; nothing else changed. */
    public static byte[] flipBit(byte[] frame, int bit) {
        byte[] c = frame.clone();
        c[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
        return c;
    }

    /**
     * A copy of an IPv4 UDP/TCP frame with bit {@code bit} of its L4 payload inverted and the checksums
     * made valid again, so that only a check of our own (an AEAD tag, ...) can notice the change, not
     * the receiver's UDP/TCP checksum.
     */
    public static byte[] flipPayloadBit(byte[] frame, int bit) {
        L4 p = parse(frame).orElseThrow(() -> new IllegalArgumentException("not an IPv4 UDP/TCP frame"));
        if (bit < 0 || bit >= p.payloadLength() * 8) {
            throw new IllegalArgumentException("bit " + bit + " is outside the " + p.payloadLength() + "-byte payload");
        }
        byte[] c = flipBit(frame, p.payloadOffset() * 8 + bit);
        return fixChecksums(c);
    }

    /**
     * A copy with the IPv4 header checksum and the UDP/TCP checksum recomputed (a UDP checksum of 0,
     * "none", stays 0). Needed to replay frames captured on a veth: the sender's kernel leaves the
     * UDP/TCP checksum to "hardware" (only the pseudo-header sum is in the frame) and the veth
     * passes the frame on as already verified; a copy injected through a packet socket is verified
     * for real and dropped by the receiver's UDP/TCP layer unless fixed.
     */
    public static byte[] fixChecksums(byte[] frame) {
        L4 p = parse(frame).orElseThrow(() -> new IllegalArgumentException("not an IPv4 UDP/TCP frame"));
        byte[] c = frame.clone();
        int ip = p.ipOffset();
        int ihl = p.l4Offset() - ip;
        c[ip + 10] = 0;
        c[ip + 11] = 0;
        put16(c, ip + 10, ~sum(c, ip, ihl, 0) & 0xffff);
        int l4Len = p.payloadOffset() + p.payloadLength() - p.l4Offset();
        int csumAt = p.l4Offset() + (p.isUdp() ? 6 : 16);
        if (p.isUdp() && u16(c, csumAt) == 0) {
            return c;
        }
        c[csumAt] = 0;
        c[csumAt + 1] = 0;
        long pseudo = 0;
        pseudo = sum(c, ip + 12, 8, pseudo);
        pseudo += p.protocol() + l4Len;
        int cs = ~sum(c, p.l4Offset(), l4Len, pseudo) & 0xffff;
        if (p.isUdp() && cs == 0) {
            cs = 0xffff;
        }
        put16(c, csumAt, cs);
        return c;
    }

    /**
     * Whether the IPv4 header and UDP/TCP checksums of the frame are complete and right. Frames
     * captured on veths usually are not (checksum offload): see {@link #fixChecksums}.
     */
    public static boolean checksumsValid(byte[] frame) {
        return Arrays.equals(frame, fixChecksums(frame));
    }

    private static int sum(byte[] b, int off, int len, long acc) {
        long s = acc;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if (i < len) {
            s += (b[off + i] & 0xff) << 8;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    private static Inet4Address addr(byte[] b, int off) {
        try {
            return (Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(b, off, off + 4));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Index of {@code needle} in {@code hay} at or after {@code from}, or -1. */
    public static int indexOf(byte[] hay, byte[] needle, int from) {
        if (needle.length == 0) {
            return from <= hay.length ? from : -1;
        }
        byte first = needle[0];
        outer:
        for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
            if (hay[i] != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
