package io.jweave.router.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topology page's data: {@code GET /api/topology} (the current {@link Topology.Snapshot}) and
 * {@code GET /api/events} (Server-Sent Events: a {@code topology} event at once, then one whenever
 * the content changed, at most {@link Settings#minGapMillis} apart, and a {@code keepalive} event
 * when nothing was sent for {@link Settings#keepaliveMillis}).
 *
 * <p>The content is recomputed every {@link Settings#tickMillis} while an event stream is open (and
 * on every {@code GET /api/topology}); its {@code version} goes up by one when it differs from the
 * previous content, never otherwise. Versions start at 1 when the router starts: a page treats each
 * event as the whole picture, and does not compare versions across reconnects.
 */
public final class TopologyService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopologyService.class);
    /** One line per snapshot (an SSE {@code data:} line), no pretty-printing. */
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String EVENT_STREAM = "text/event-stream";

    /** Timings and limits; {@link #DEFAULTS} in the router, shorter ones in tests. */
    public record Settings(long tickMillis, long minGapMillis, long keepaliveMillis, int maxStreams, long retryMillis) {
        public static final Settings DEFAULTS = new Settings(250, 250, 15_000, 32, 2_000);
    }

    private final Supplier<Topology.Facts> facts;
    private final Settings settings;
    private final Clock clock;
    private final AtomicInteger streams = new AtomicInteger();
    private ScheduledExecutorService ticker;
    /** Guarded by {@code this}; waiters are woken by {@link #notifyAll()} on a new version or a closed stream. */
    private Topology.Content content;
    private long version;
    private Topology.Snapshot latest;

    public TopologyService(Supplier<Topology.Facts> facts) {
        this(facts, Settings.DEFAULTS, Clock.systemUTC());
    }

    public TopologyService(Supplier<Topology.Facts> facts, Settings settings, Clock clock) {
        this.facts = facts;
        this.settings = settings;
        this.clock = clock;
    }

    /** Starts recomputing every tick (only while an event stream is open). */
    public synchronized TopologyService start() {
        if (ticker == null) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "jweave-topology");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(() -> {
                if (streams.get() > 0) {
                    try {
                        refresh();
                    } catch (RuntimeException e) {
                        LOG.debug("topology: recomputing failed: {}", e.toString());
                    }
                }
            }, settings.tickMillis(), settings.tickMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** The routes: {@code /api/topology} and {@code /api/events}. */
    public Map<String, StatusServer.Endpoint> routes() {
        Map<String, StatusServer.Endpoint> r = new LinkedHashMap<>();
        r.put("/api/topology", new StatusServer.Endpoint("GET", arg -> new StatusServer.Asset(
                json(refresh()).getBytes(StandardCharsets.UTF_8), "application/json",
                Map.of("Cache-Control", "no-store")), "application/json"));
        r.put("/api/events", StatusServer.Endpoint.stream(arg -> events(), EVENT_STREAM));
        return r;
    }

    /** Recomputes the content now; a new version if it changed. */
    public Topology.Snapshot refresh() {
        Topology.Content c = Topology.build(facts.get()); // outside the lock: the facts may take a moment
        synchronized (this) {
            if (!c.equals(content)) {
                content = c;
                version++;
                notifyAll();
            }
            latest = Topology.Snapshot.of(version, Instant.now(clock).truncatedTo(ChronoUnit.MILLIS).toString(), content);
            return latest;
        }
    }

    /** The last computed snapshot, or a fresh one if none was computed yet. */
    Topology.Snapshot latest() {
        synchronized (this) {
            if (latest != null) {
                return latest;
            }
        }
        return refresh();
    }

    static String json(Topology.Snapshot s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("topology does not serialize", e);
        }
    }

    /** Open event streams. */
    public int streams() {
        return streams.get();
    }

    /** A new event stream, or 503 when {@link Settings#maxStreams} are open. */
    Events events() {
        if (streams.incrementAndGet() > settings.maxStreams()) {
            streams.decrementAndGet();
            throw new ApiException(503, "too many topology event streams (" + settings.maxStreams()
                    + " open); close a topology page and retry");
        }
        return new Events();
    }

    /**
     * One client's event stream. Writes {@code retry:} and the first event at once; then waits for a
     * newer version (woken by {@link #refresh}), keeps at least {@link Settings#minGapMillis} between
     * events (changes in between are sent together, as the latest snapshot), and writes a keepalive
     * comment when idle. {@link #close} (the client went away, the server closes) ends it and frees
     * its slot.
     */
    final class Events implements StatusServer.Stream {
        private final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public Map<String, String> headers() {
            return Map.of("Cache-Control", "no-cache", "X-Accel-Buffering", "no");
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            Topology.Snapshot s = refresh();
            write(out, "retry: " + settings.retryMillis() + "\n\n" + event(s));
            long sent = s.version();
            long lastEvent = System.nanoTime();
            long lastWrite = lastEvent;
            while (!closed.get()) {
                long keepaliveIn = settings.keepaliveMillis() - millisSince(lastWrite);
                if (keepaliveIn <= 0) {
                    // an event, not a comment: browsers hand comments to no script, and the page re-opens a
                    // stream that says nothing for 30 s
                    write(out, "event: keepalive\ndata: {}\n\n");
                    lastWrite = System.nanoTime();
                    continue;
                }
                if (!awaitNewer(sent, keepaliveIn)) {
                    continue; // closed, or time for a keepalive
                }
                long gap = settings.minGapMillis() - millisSince(lastEvent);
                if (gap > 0 && !pause(gap)) {
                    break;
                }
                Topology.Snapshot n = latest();
                write(out, event(n));
                sent = n.version();
                lastEvent = lastWrite = System.nanoTime();
            }
        }

        private String event(Topology.Snapshot s) {
            return "id: " + s.version() + "\nevent: topology\ndata: " + json(s) + "\n\n";
        }

        private void write(OutputStream out, String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** Whether a version newer than {@code v} is there (false: closed, or {@code millis} passed). */
        private boolean awaitNewer(long v, long millis) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            synchronized (TopologyService.this) {
                while (!closed.get() && version <= v) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        TopologyService.this.wait(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return !closed.get();
            }
        }

        /** Waits {@code millis} unless closed first; whether it is still open. */
        private boolean pause(long millis) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            synchronized (TopologyService.this) {
                while (!closed.get()) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        break;
                    }
                    try {
                        TopologyService.this.wait(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return !closed.get();
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                streams.decrementAndGet();
                synchronized (TopologyService.this) {
                    TopologyService.this.notifyAll();
                }
            }
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
            ticker = null;
        }
    }
}
