package io.jweave.capture;

import io.jweave.netlink.NetNs;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.packet.namednumber.DataLinkType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live capture of one Ethernet interface inside a network namespace, written as a pcap stream.
 *
 * <pre>
 * try (NamespaceCapture c = NamespaceCapture.open(ns, "jwbr", CaptureFilter.bpf("icmp"))) {
 *     long n = c.writeTo(out, 5); // global header, then 5 frames (or fewer if closed first)
 * }
 * </pre>
 *
 * <p>libpcap's packet socket belongs to the network namespace of the thread that creates it, so the
 * handle is opened ({@code pcap_create} + {@code pcap_activate}) on a short-lived thread that entered
 * the namespace ({@link NetNs#call}); the socket stays bound to the interface there and is read from
 * any thread. The interface is put in promiscuous mode (a bridge passes the frames it forwards between
 * its ports up to its own device only then), in immediate mode (each frame as it arrives). The
 * kernel's promiscuity count goes back down when the capture closes.
 *
 * <p>{@link #close()} may be called from any thread, also while {@link #writeTo} waits for a frame:
 * it wakes the read ({@code pcap_breakloop}), waits for {@code writeTo} to return, and frees the handle.
 */
public final class NamespaceCapture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceCapture.class);

    /** Bytes kept per frame: libpcap's maximum (GSO/GRO frames on veths and bridges can be ~64 KiB). */
    public static final int SNAPLEN = 262_144;
    /** The kernel's buffer for frames not read yet. */
    static final int KERNEL_BUFFER = 4 << 20;
    /**
     * pcap read timeout. libpcap 1.10 on Linux does not return on it while no frame arrives, so
     * {@link #close()} relies on {@code pcap_breakloop}, not on this.
     */
    static final int READ_TIMEOUT_MS = 100;

    private final String where;
    private final CaptureFilter filter;
    private final PcapHandle handle;
    private final ReentrantLock reading = new ReentrantLock();
    private volatile boolean stopping;
    private volatile long frames;
    private boolean closed;

    private NamespaceCapture(String where, CaptureFilter filter, PcapHandle handle) {
        this.where = where;
        this.filter = filter;
        this.handle = handle;
    }

    /**
     * Opens a capture on {@code ifName} in {@code ns}, keeping the frames {@code filter} matches. When
     * this returns, the socket is bound: every frame that crosses the interface afterwards is seen.
     *
     * @throws CaptureException no libpcap, no such interface, not Ethernet, or a filter libpcap refuses
     */
    public static NamespaceCapture open(NetNs ns, String ifName, CaptureFilter filter) {
        if (ifName == null || ifName.isEmpty()) {
            throw new IllegalArgumentException("no interface name given");
        }
        CaptureFilter f = filter == null ? CaptureFilter.none() : filter;
        Libpcap.ensureLoaded();
        String where = ifName + " in network namespace " + ns.path();
        PcapHandle h = ns.call(() -> {
            List<String> present = interfacesOfThisThread();
            if (!present.contains(ifName)) {
                throw new CaptureException("no interface " + ifName + " in network namespace " + ns.path()
                        + " (it has " + String.join(", ", present) + ")");
            }
            PcapHandle handle;
            try {
                handle = new PcapHandle.Builder(ifName).snaplen(SNAPLEN).timeoutMillis(READ_TIMEOUT_MS)
                        .promiscuousMode(PromiscuousMode.PROMISCUOUS).immediateMode(true).bufferSize(KERNEL_BUFFER)
                        .build();
            } catch (PcapNativeException e) {
                throw new CaptureException("cannot open a capture on " + where + ": " + e.getMessage(), e);
            }
            try {
                if (handle.getDlt() != DataLinkType.EN10MB) {
                    throw new CaptureException(where + " is not an Ethernet interface (link type " + handle.getDlt() + ")");
                }
                if (!f.isNone()) {
                    try {
                        handle.setFilter(f.expression(), BpfProgram.BpfCompileMode.OPTIMIZE);
                    } catch (PcapNativeException | NotOpenException e) {
                        throw new CaptureException("bad capture filter \"" + f.expression() + "\": " + e.getMessage(), e);
                    }
                }
            } catch (RuntimeException e) {
                handle.close();
                throw e;
            }
            return handle;
        });
        LOG.debug("capturing on {} (filter {})", where, f);
        return new NamespaceCapture(where, f, h);
    }

    /**
     * Interface names of the calling thread's network namespace ({@code /proc/self/net} is the main thread's).
     * Public for callers that open their own pcap handles inside {@link NetNs#call} (the test bed's UnderlayCapture).
     */
    public static List<String> interfacesOfThisThread() throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/net/dev"))) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.contains("|")) {
                names.add(line.substring(0, colon).strip());
            }
        }
        return names;
    }

    /**
     * Writes the pcap global header (flushed at once, so a reader sees a valid, empty stream), then
     * each captured frame as a record, flushing after each, until {@code count} frames (0: no limit)
     * or until {@link #close()}. Returns the number of frames written. An {@link IOException} from
     * {@code out} (a reader that went away) ends the capture's reading and is rethrown; the caller
     * closes the capture.
     */
    public long writeTo(OutputStream out, long count) throws IOException {
        if (count < 0) {
            throw new IllegalArgumentException("count must be 0 (no limit) or positive, not " + count);
        }
        reading.lock();
        try {
            if (stopping) {
                throw new IOException("the capture on " + where + " is closed");
            }
            out.write(Pcap.globalHeader(SNAPLEN, Pcap.LINKTYPE_ETHERNET));
            out.flush();
            long n = 0;
            while (!stopping && (count == 0 || n < count)) {
                byte[] raw;
                try {
                    raw = handle.getNextRawPacketEx();
                } catch (TimeoutException e) {
                    continue;
                } catch (EOFException e) {
                    break; // pcap_breakloop: close() was called
                } catch (PcapNativeException | NotOpenException e) {
                    if (stopping) {
                        break;
                    }
                    throw new IOException("capture on " + where + " failed: " + e.getMessage(), e);
                }
                Timestamp ts = handle.getTimestamp();
                Integer wire = handle.getOriginalLength();
                long millis = ts != null ? ts.getTime() : System.currentTimeMillis();
                int micros = ts != null ? ts.getNanos() / 1000 : (int) Math.floorMod(millis, 1000L) * 1000;
                Pcap.writeRecord(out, Math.floorDiv(millis, 1000L), micros, raw, wire != null ? wire : raw.length);
                out.flush();
                n++;
                frames = n;
            }
            return n;
        } finally {
            reading.unlock();
        }
    }

    /** Frames written so far by {@link #writeTo}. */
    public long frames() {
        return frames;
    }

    /** The interface and namespace captured. */
    public String where() {
        return where;
    }

    public CaptureFilter filter() {
        return filter;
    }

    /** Stops {@link #writeTo} (waking a read that waits for a frame), then frees the pcap handle. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopping = true;
        if (!reading.isHeldByCurrentThread()) {
            // libpcap 1.10 does not return from a read on its timeout while no frame arrives;
            // pcap_breakloop wakes the blocked poll and the read ends with PCAP_ERROR_BREAK.
            boolean stopped = false;
            for (int attempt = 0; attempt < 5 && !stopped; attempt++) {
                try {
                    handle.breakLoop();
                    stopped = reading.tryLock(1, TimeUnit.SECONDS);
                } catch (NotOpenException e) {
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (stopped) {
                reading.unlock();
            } else {
                LOG.warn("the reader of the capture on {} did not stop; closing the handle anyway", where);
            }
        }
        handle.close(); // waits for a read in progress (pcap4j's handle lock)
        LOG.debug("capture on {} closed after {} frames", where, frames);
    }

    @Override
    public String toString() {
        return "NamespaceCapture(" + where + ", filter " + filter + ", " + frames + " frames)";
    }
}
