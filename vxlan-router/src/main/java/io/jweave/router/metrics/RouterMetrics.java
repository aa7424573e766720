package io.jweave.router.metrics;

import io.jweave.netlink.NetlinkStats;
import io.jweave.plugin.PluginCallListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The router's Prometheus metrics ({@code GET /metrics}). Names start with {@code jweave_} and use
 * base units (seconds); docs/operations.md lists every one. Values that describe state (peers,
 * networks, endpoints, IPAM usage) are read from the router when scraped, through a {@link Source};
 * events (reconcile passes, plugin calls) are recorded as they happen; netlink counters are read
 * from {@link NetlinkStats}. The DNS server's counters are bound with {@link #bindDns}.
 */
public final class RouterMetrics implements PluginCallListener {

    /** What the gauges read at scrape time. */
    public interface Source {
        /** Peers by state (connected, departed, unreachable, connecting); every state present, zeros included. */
        Map<String, Integer> peersByState();

        int networks();

        int localEndpoints();

        int remoteEndpoints();

        /** IPAM pools of this host: pool (CIDR) → used and free addresses. */
        List<PoolUsage> pools();

        int joinTargets();
    }

    /** One pool's addresses. */
    public record PoolUsage(String pool, long used, long free) {
    }

    /** The DNS counters {@link #bindDns} accepts, each exposed as {@code jweave_dns_<name>_total}. */
    public static final List<String> DNS_COUNTERS = List.of("queries", "answered", "nxdomain", "nodata", "forwarded",
            "forward_errors", "malformed", "truncated", "servfail");

    /** Histogram buckets of the timers (a dozen fixed ones keep /metrics small; Prometheus computes quantiles). */
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    static final List<String> PEER_STATES = List.of("connected", "departed", "unreachable", "connecting", "refused");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Source source;
    private final MultiGauge peers;
    private final MultiGauge ipam;
    private final Timer reconcileOk;
    private final Timer reconcileFailed;
    private final Counter reconcileErrors;
    /** Meters hold their objects weakly: what they read is kept here. */
    private final List<Object> strong = new ArrayList<>();
    private volatile List<Object> rowsHeld = List.of();
    private volatile Snapshot last = new Snapshot(Map.of(), 0, 0, 0, List.of(), 0);

    private record Snapshot(Map<String, Integer> peers, int networks, int local, int remote, List<PoolUsage> pools,
                            int targets) {
    }

    public RouterMetrics(Source source, String version) {
        this.source = source;
        Gauge.builder("jweave.version", () -> 1).description("Always 1; the router's version is the label")
                .tag("version", version).register(registry);
        peers = MultiGauge.builder("jweave.peers").description("Routers of the mesh as this router sees them, by state")
                .register(registry);
        Gauge.builder("jweave.networks", () -> last.networks()).description("jweave networks on this host")
                .register(registry);
        Gauge.builder("jweave.endpoints", () -> last.local()).tag("location", "local")
                .description("Endpoints of this host's networks: local = on this host, remote = on other hosts")
                .register(registry);
        Gauge.builder("jweave.endpoints", () -> last.remote()).tag("location", "remote")
                .description("Endpoints of this host's networks: local = on this host, remote = on other hosts")
                .register(registry);
        Gauge.builder("jweave.mesh.join.targets", () -> last.targets())
                .description("Peers this router joins and searches after a split (launch + connect - forget)")
                .register(registry);
        ipam = MultiGauge.builder("jweave.ipam.addresses")
                .description("Addresses of this host's IPAM pools, by pool and state (used, free)").register(registry);
        reconcileOk = reconcileTimer("ok");
        reconcileFailed = reconcileTimer("error");
        reconcileErrors = Counter.builder("jweave.reconcile.errors").description("Reconcile passes that failed (retried)")
                .register(registry);
        FunctionCounter.builder("jweave.netlink.requests", NetlinkStats.class, x -> NetlinkStats.requests())
                .description("rtnetlink requests sent to the kernel (each message of a batch; a dump once)")
                .register(registry);
        FunctionCounter.builder("jweave.netlink.errors", NetlinkStats.class, x -> NetlinkStats.errors())
                .description("rtnetlink requests that failed (kernel errno, timeout, socket error)").register(registry);
        FunctionCounter.builder("jweave.netlink.dumps", NetlinkStats.class, x -> NetlinkStats.dumps())
                .description("rtnetlink dump requests (a subset of requests)").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private Timer reconcileTimer(String result) {
        return Timer.builder("jweave.reconcile").description("Reconcile passes of the mesh agent (publish, program, join)")
                .tag("result", result).serviceLevelObjectives(BUCKETS).register(registry);
    }

    /** A reconcile pass ended after {@code nanos}; {@code ok} false if it failed (and will be retried). */
    public void reconcilePass(long nanos, boolean ok) {
        (ok ? reconcileOk : reconcileFailed).record(nanos, TimeUnit.NANOSECONDS);
        if (!ok) {
            reconcileErrors.increment();
        }
    }

    /** {@link PluginCallListener}: one Docker plugin call answered. */
    @Override
    public void onCall(String method, long durationNanos, Outcome outcome) {
        Timer.builder("jweave.plugin.call").description("Docker plugin calls by method and outcome, with latency")
                .tags("method", method, "outcome", outcome.name().toLowerCase())
                .serviceLevelObjectives(BUCKETS)
                .register(registry).record(durationNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Binds the DNS server's counters as {@code jweave_dns_<name>_total}; names from
     * {@link #DNS_COUNTERS}, e.g. {@code Map.of("queries", stats::queries, "forward_errors", stats::forwardErrors, ...)}.
     */
    public void bindDns(Map<String, LongSupplier> counters) {
        for (Map.Entry<String, LongSupplier> c : counters.entrySet()) {
            if (!DNS_COUNTERS.contains(c.getKey())) {
                throw new IllegalArgumentException("unknown DNS counter " + c.getKey() + "; known: " + DNS_COUNTERS);
            }
            LongSupplier s = c.getValue();
            strong.add(s);
            FunctionCounter.builder("jweave.dns." + c.getKey(), s, x -> x.getAsLong())
                    .description("DNS server: " + c.getKey().replace('_', ' ')).register(registry);
        }
    }

    /**
     * A counter kept elsewhere (the encrypted tunnel's, the underlay filter's), read at scrape time:
     * {@code bindCounter("jweave.tunnel.dropped", "...", stats::replayed, "reason", "replayed")} is exposed as
     * {@code jweave_tunnel_dropped_total{reason="replayed"}}.
     */
    public void bindCounter(String name, String description, LongSupplier value, String... tags) {
        strong.add(value);
        FunctionCounter.builder(name, value, x -> x.getAsLong()).description(description).tags(tags).register(registry);
    }

    /** A gauge read at scrape time. */
    public void bindGauge(String name, String description, java.util.function.DoubleSupplier value, String... tags) {
        strong.add(value);
        Gauge.builder(name, value, x -> x.getAsDouble()).description(description).tags(tags).register(registry);
    }

    /**
     * A gauge with one row per set of tags, rows read at scrape time (rows that are gone disappear):
     * {@code bindRows("jweave.peer.heartbeat.loss", "...", () -> Map.of(Tags.of("peer", "h2"), 0.0))}.
     */
    public void bindRows(String name, String description, java.util.function.Supplier<Map<Tags, Double>> rows) {
        MultiGauge g = MultiGauge.builder(name).description(description).register(registry);
        synchronized (this) {
            rowSources.add(new RowSource(g, rows));
        }
    }

    private record RowSource(MultiGauge gauge, java.util.function.Supplier<Map<Tags, Double>> rows) {
    }

    private final List<RowSource> rowSources = new ArrayList<>();

    /** The registry, e.g. to bind more meters. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Reads the router's state and renders every metric in Prometheus text format. */
    public synchronized String scrape() {
        refresh();
        return registry.scrape();
    }

    private void refresh() {
        List<Object> held = new ArrayList<>();
        for (RowSource rs : rowSources) {
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            rs.rows().get().forEach((tags, v) -> {
                double[] box = {v};
                held.add(box);
                rows.add(MultiGauge.Row.of(tags, box, b -> b[0]));
            });
            rs.gauge().register(rows, true);
        }
        Map<String, Integer> byState = source.peersByState();
        List<PoolUsage> pools = source.pools();
        last = new Snapshot(byState, source.networks(), source.localEndpoints(), source.remoteEndpoints(), pools,
                source.joinTargets());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (String st : PEER_STATES) {
            int n = byState.getOrDefault(st, 0);
            rows.add(MultiGauge.Row.of(Tags.of("state", st), n));
        }
        byState.forEach((st, n) -> {
            if (!PEER_STATES.contains(st)) {
                rows.add(MultiGauge.Row.of(Tags.of("state", st), n));
            }
        });
        peers.register(rows, true);
        List<MultiGauge.Row<?>> pr = new ArrayList<>();
        for (PoolUsage p : pools) {
            pr.add(MultiGauge.Row.of(Tags.of("pool", p.pool(), "state", "used"), p.used()));
            pr.add(MultiGauge.Row.of(Tags.of("pool", p.pool(), "state", "free"), p.free()));
        }
        ipam.register(pr, true);
        held.addAll(rows);
        held.addAll(pr);
        rowsHeld = held;
    }

    /** Metric families this class always exposes (for docs and tests). */
    static Set<String> families() {
        return Set.of("jweave_version", "jweave_peers", "jweave_networks", "jweave_endpoints",
                "jweave_mesh_join_targets", "jweave_ipam_addresses", "jweave_reconcile_seconds",
                "jweave_reconcile_errors_total", "jweave_netlink_requests_total", "jweave_netlink_errors_total",
                "jweave_netlink_dumps_total");
    }

}
