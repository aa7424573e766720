package io.jweave.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.it.testbed.Browser;
import io.jweave.it.testbed.HostProcess;
import io.jweave.it.testbed.NetnsForwarder;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import io.jweave.router.status.StatusClient;
import io.jweave.router.status.UnixHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code ./jweave bench ui [SAMPLES=20] [ENDPOINTS=1000] [LOADS=5]}: the topology page in headless
 * Debian chromium on two simulated hosts (A = host1, B = host2), A's page reached through a
 * {@link NetnsForwarder} (127.0.0.1 here → 127.0.0.1:6784 in A's namespace).
 *
 * <p>(a) Latency: {@code docker run -d} of a container on B → its row in A's page (the page records,
 * with a MutationObserver, when each row first enters the DOM; clock offset page/JVM measured and
 * removed) and → the first {@code event: topology} naming it on A's {@code /api/events} (read by
 * this JVM on A's status socket, same server and routes: the baseline, in the same run). Each sample
 * is removed ({@code docker rm -f}) and gone from the page before the next.
 *
 * <p>(b) Page load and JS heap: navigation start → the hosts of the graph and every container row in
 * the DOM (an observer installed before the page's scripts by CDP
 * {@code Page.addScriptToEvaluateOnNewDocument}), then the next frame; after 2 s and a forced GC
 * (CDP {@code HeapProfiler.collectGarbage}) {@code performance.memory.usedJSHeapSize}
 * ({@code --enable-precise-memory-info}) and the DOM's element count. First on the empty mesh (2
 * hosts, 2 networks, no container), then with a throwaway mesh member ({@link MeshFiller}, in B's
 * namespace) publishing ENDPOINTS endpoints; LOADS loads each after one warm-up load.
 */
final class UiBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NET = "ui";
    private static final int HTTP_PORT = 6784;

    private UiBench() {
    }

    static void main(String[] args) throws Exception {
        run(MeshBench.intArg(args, 0, 20), MeshBench.intArg(args, 1, 1000), MeshBench.intArg(args, 2, 5));
    }

    record Load(double domMs, double paintMs, double renderMs, double heapMiB, long elements, int hosts, int rows) {
    }

    static void run(int samples, int endpoints, int loads) throws Exception {
        MeshBench.header("Topology page (" + samples + " samples; " + endpoints + " endpoints; " + loads + " loads)");
        List<Double> pageFromReturn = new ArrayList<>();
        List<Double> sseFromReturn = new ArrayList<>();
        List<Double> pageFromInvoke = new ArrayList<>();
        List<Double> sseFromInvoke = new ArrayList<>();
        List<Double> pageMinusSse = new ArrayList<>();
        List<Double> goneMs = new ArrayList<>();
        List<Load> empty = new ArrayList<>();
        List<Load> full = new ArrayList<>();
        int[] topologyBytes = new int[2];
        String chromium;
        try (Testbed tb = Testbed.builder().hosts(2).start()) {
            SimHost a = tb.host(1);
            SimHost b = tb.host(2);
            MeshRouter ra = MeshRouter.launch(a, "jweave");
            MeshRouter.launch(b, "jweave", a.underlayIp());
            a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", NET);
            MeshBench.awaitNetwork(b, NET, Duration.ofSeconds(30));
            a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", MeshFiller.SUBNET,
                    MeshFiller.NETWORK);
            MeshBench.awaitNetwork(b, MeshFiller.NETWORK, Duration.ofSeconds(30));
            try (NetnsForwarder fwd = NetnsForwarder.to(a, HTTP_PORT);
                 Browser br = "1".equals(System.getenv("JWEAVE_UI_BENCH_BFCACHE"))
                         ? Browser.start("--enable-precise-memory-info")
                         : Browser.start("--enable-precise-memory-info", "--disable-back-forward-cache")) {
                chromium = String.valueOf(br.driver().getCapabilities().getBrowserVersion());
                // ---------------------------------------------------------- (a) latency
                br.driver().get(fwd.url());
                br.waitFor(Duration.ofSeconds(20), d -> "live".equals(br.js(
                        "return document.getElementById('conn-state').dataset.state;")));
                br.js(MARK_ROWS);
                double offsetMs = clockOffsetMs(br);
                System.out.printf("page clock − JVM clock: %.2f ms (removed from the page's times)%n", offsetMs);
                try (EventWatch sse = new EventWatch(ra.dataDir())) {
                    for (int i = 0; i <= samples; i++) {
                        String name = "ui" + i;
                        Instant invoked = Instant.now();
                        b.run("-d", "--name", name, "--network", NET, TestImage.NAME, "sleep", "600");
                        Instant returned = Instant.now();
                        String ip = b.containerIp(name, NET);
                        Instant ev = sse.await(ip, invoked, Duration.ofSeconds(10));
                        Instant row = awaitRow(br, ip, offsetMs, Duration.ofSeconds(10));
                        b.dockerOk("rm", "-f", name);
                        Instant rm = Instant.now();
                        br.waitFor(Duration.ofSeconds(10), d -> !(Boolean) br.js(
                                "return !!document.querySelector(\"#containers tr[data-container-ip='\" + arguments[0] + \"']\");", ip));
                        double gone = ms(rm, Instant.now());
                        if (i == 0) {
                            System.out.printf("warm-up sample: page %.0f ms, event %.0f ms after docker run returned%n",
                                    ms(returned, row), ms(returned, ev));
                            continue;
                        }
                        pageFromReturn.add(ms(returned, row));
                        sseFromReturn.add(ms(returned, ev));
                        pageFromInvoke.add(ms(invoked, row));
                        sseFromInvoke.add(ms(invoked, ev));
                        pageMinusSse.add(ms(ev, row));
                        goneMs.add(gone);
                        System.out.printf("sample %d: docker run took %.0f ms; event %.0f ms, page row %.0f ms after it"
                                        + " returned (page − event %.1f ms); row gone %.0f ms after docker rm -f%n", i,
                                ms(invoked, returned), ms(returned, ev), ms(returned, row), ms(ev, row), gone);
                    }
                }
                List<String> severe = br.severe();
                if (!severe.isEmpty()) {
                    System.out.println("browser console errors: " + severe);
                }
                // ---------------------------------------------------------- (b) load and heap
                br.cdp("Page.addScriptToEvaluateOnNewDocument", Map.of("source", LOAD_OBSERVER));
                topologyBytes[0] = StatusClient.get(ra.dataDir(), "/api/topology").length();
                for (int i = 0; i <= loads; i++) {
                    System.out.println("  connections through the forwarder before the load: " + fwd.connections());
                    Load l = load(br, fwd.url(), ra.dataDir());
                    System.out.printf("empty mesh, load %d%s: %s%n", i, i == 0 ? " (warm-up)" : "", l);
                    if (i > 0) {
                        empty.add(l);
                    }
                }
                HostProcess filler = MeshFiller.spawn(b, a, endpoints);
                try {
                    long t0 = System.nanoTime();
                    long deadline = t0 + Duration.ofSeconds(180).toNanos();
                    int seen = 0;
                    while (seen < endpoints) {
                        if (System.nanoTime() > deadline || !filler.isAlive()) {
                            throw new IllegalStateException("A's topology has " + seen + " of the filler's " + endpoints
                                    + " endpoints; filler: " + filler.logTail(20));
                        }
                        MeshBench.sleep(200);
                        seen = containersOf(StatusClient.get(ra.dataDir(), "/api/topology"), "filler");
                    }
                    System.out.printf("%d endpoints of the filler in A's topology %.0f ms after it was spawned%n", seen,
                            (System.nanoTime() - t0) / 1e6);
                    MeshBench.sleep(2000);
                    topologyBytes[1] = StatusClient.get(ra.dataDir(), "/api/topology").length();
                    for (int i = 0; i <= loads; i++) {
                        System.out.println("  connections through the forwarder before the load: " + fwd.connections());
                        Load l = load(br, fwd.url(), ra.dataDir());
                        System.out.printf("%d endpoints, load %d%s: %s%n", endpoints, i, i == 0 ? " (warm-up)" : "", l);
                        if (i > 0) {
                            full.add(l);
                        }
                    }
                    br.screenshot(tb.logDir().resolve("screenshots").resolve("ui-bench-" + endpoints + "-endpoints.png"));
                } finally {
                    filler.stop(Duration.ofSeconds(30));
                }
                severe = br.severe();
                if (!severe.isEmpty()) {
                    System.out.println("browser console errors: " + severe);
                }
            }
        }
        System.out.println();
        System.out.printf("chromium %s headless; A's page through a TCP forwarder into A's namespace; events read on A's"
                + " status socket%n%n", chromium);
        System.out.println("(a) container started on B → shown on A (" + pageFromReturn.size() + " samples; p99 of 20 = the"
                + " largest)");
        System.out.println();
        System.out.println("| measured | p50 ms from `docker run -d` returning | p99 | p50 ms from `docker run` invoked | p99 |"
                + " ratio to the event (p50, from invoked) |");
        System.out.println("|---|---|---|---|---|---|");
        latencyRow("`event: topology` on A's /api/events (baseline)", sseFromReturn, sseFromInvoke, sseFromInvoke);
        latencyRow("row in A's page (DOM)", pageFromReturn, pageFromInvoke, sseFromInvoke);
        double[] diff = MeshStats.of(pageMinusSse);
        double[] gone = MeshStats.of(goneMs);
        System.out.printf("%npage − event, same sample: p50 %.1f ms, p99 %.1f ms (min %.1f, max %.1f)%n",
                MeshStats.median(diff), MeshStats.percentile(diff, 99), MeshStats.min(diff), MeshStats.max(diff));
        System.out.printf("row gone after `docker rm -f` returned: p50 %.0f ms, p99 %.0f ms%n", MeshStats.median(gone),
                MeshStats.percentile(gone, 99));
        System.out.println();
        System.out.println("(b) page load and JS heap (median of " + loads + " loads after a warm-up)");
        System.out.println();
        System.out.println("| mesh | hosts | container rows | /api/topology bytes | load → DOM ms | → painted ms |"
                + " page's render ms | JS heap MiB | DOM elements |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        loadRow("empty (2 hosts, 0 containers)", empty, topologyBytes[0]);
        loadRow(endpoints + " endpoints (filler)", full, topologyBytes[1]);
        System.out.printf("| ratio | | | %.1f | %.2f | %.2f | %.2f | %.2f | %.1f |%n",
                (double) topologyBytes[1] / topologyBytes[0],
                med(full, Load::domMs) / med(empty, Load::domMs), med(full, Load::paintMs) / med(empty, Load::paintMs),
                med(full, Load::renderMs) / med(empty, Load::renderMs), med(full, Load::heapMiB) / med(empty, Load::heapMiB),
                med(full, l -> (double) l.elements()) / med(empty, l -> (double) l.elements()));
    }

    private static double ms(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e6;
    }

    private static void latencyRow(String what, List<Double> fromReturn, List<Double> fromInvoke, List<Double> base) {
        double[] r = MeshStats.of(fromReturn);
        double[] v = MeshStats.of(fromInvoke);
        System.out.printf("| %s | %.0f | %.0f | %.0f | %.0f | %.2f |%n", what, MeshStats.median(r), MeshStats.percentile(r, 99),
                MeshStats.median(v), MeshStats.percentile(v, 99), MeshStats.median(v) / MeshStats.median(MeshStats.of(base)));
    }

    private static double med(List<Load> l, java.util.function.ToDoubleFunction<Load> f) {
        return MeshStats.median(l.stream().mapToDouble(f).toArray());
    }

    private static void loadRow(String what, List<Load> l, int bytes) {
        System.out.printf("| %s | %d | %d | %d | %.0f | %.0f | %.0f | %.1f | %.0f |%n", what, l.get(0).hosts(), l.get(0).rows(),
                bytes, med(l, Load::domMs), med(l, Load::paintMs), med(l, Load::renderMs), med(l, Load::heapMiB),
                med(l, x -> (double) x.elements()));
    }

    // ------------------------------------------------------------------ page side

    /** In the page: when each container row (by IP) first entered the DOM, epoch ms. */
    private static final String MARK_ROWS = """
            window.jwSeen = {};
            const now = () => performance.timeOrigin + performance.now();
            const scan = () => {
              const here = new Set();
              document.querySelectorAll('#containers tr[data-container-ip]').forEach(r => {
                const ip = r.dataset.containerIp; here.add(ip); if (!(ip in window.jwSeen)) window.jwSeen[ip] = now(); });
              // an address given again later (IPAM reuses it) is a new row: forget rows that left
              for (const ip of Object.keys(window.jwSeen)) if (!here.has(ip)) delete window.jwSeen[ip];
            };
            scan();
            new MutationObserver(scan).observe(document.getElementById('containers'), {childList: true, subtree: true});""";

    /**
     * Before the page's scripts (CDP): follows the DOM and notes when the graph's hosts and the
     * container rows reach the counts the test asks for ({@code window.jwWant}, set by the load URL's
     * fragment), then the next frame.
     */
    private static final String LOAD_OBSERVER = """
            (() => {
              const m = /jwWant=(\\d+),(\\d+)/.exec(location.hash);
              if (!m) return;
              const want = {hosts: +m[1], rows: +m[2]};
              window.jwLoad = {dom: null, paint: null};
              const check = () => {
                if (window.jwLoad.dom !== null) return;
                const h = document.querySelectorAll('#hosts [data-host]').length;
                const tb = document.querySelector('#containers tbody');
                const r = tb ? tb.querySelectorAll('tr[data-container-ip]').length : 0;
                if (h >= want.hosts && r >= want.rows) {
                  window.jwLoad.dom = performance.now();
                  requestAnimationFrame(() => setTimeout(() => { window.jwLoad.paint = performance.now(); }, 0));
                  obs.disconnect();
                }
              };
              const obs = new MutationObserver(check);
              obs.observe(document, {childList: true, subtree: true});
            })();""";

    private static Load load(Browser br, String url, Path dataDir) throws IOException {
        JsonNode t = JSON.readTree(StatusClient.get(dataDir, "/api/topology"));
        int hosts = t.path("hosts").size();
        int rows = t.path("containers").size();
        br.driver().get("about:blank");
        br.driver().get(url + "#jwWant=" + hosts + "," + rows);
        br.waitFor(Duration.ofSeconds(60), d -> br.js("return window.jwLoad && window.jwLoad.paint;") != null);
        double dom = ((Number) br.js("return window.jwLoad.dom;")).doubleValue();
        double paint = ((Number) br.js("return window.jwLoad.paint;")).doubleValue();
        if (dom > 1000) {
            // where a slow load waited: the navigation's and the resources' timings
            System.out.println("slow load (" + Math.round(dom) + " ms); timings: " + br.js(
                    "return performance.getEntries().filter(e => e.duration !== undefined)"
                    + ".map(e => e.entryType + ' ' + e.name + ' start ' + Math.round(e.startTime) + ' dur ' + Math.round(e.duration)).join('; ');"));
        }
        MeshBench.sleep(2000);
        Object render = br.js("return window.jweaveUi ? window.jweaveUi.lastRenderMs : null;");
        br.cdp("HeapProfiler.collectGarbage", Map.of());
        double heap = ((Number) br.js("return performance.memory.usedJSHeapSize;")).doubleValue() / (1024 * 1024);
        long elements = ((Number) br.js("return document.getElementsByTagName('*').length;")).longValue();
        Object nodes = br.cdp("Memory.getDOMCounters", Map.of()).get("nodes");
        System.out.println("  DOM nodes (CDP Memory.getDOMCounters, all documents): " + nodes);
        return new Load(dom, paint, render instanceof Number n ? n.doubleValue() : Double.NaN, heap, elements, hosts, rows);
    }

    /** Page clock minus JVM clock (epoch ms), from the closest of 20 round trips. */
    private static double clockOffsetMs(Browser br) {
        double best = Double.MAX_VALUE;
        double offset = 0;
        for (int i = 0; i < 20; i++) {
            Instant t0 = Instant.now();
            double page = ((Number) br.js("return performance.timeOrigin + performance.now();")).doubleValue();
            Instant t1 = Instant.now();
            double rtt = ms(t0, t1);
            if (rtt < best) {
                best = rtt;
                double mid = t0.toEpochMilli() + (t0.getNano() % 1_000_000) / 1e6 + rtt / 2;
                offset = page - mid;
            }
        }
        return offset;
    }

    private static Instant awaitRow(Browser br, String ip, double offsetMs, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Object v = br.js("return window.jwSeen[arguments[0]];", ip);
            if (v instanceof Number n) {
                double epochMs = n.doubleValue() - offsetMs;
                return Instant.ofEpochSecond(0, (long) (epochMs * 1e6));
            }
            MeshBench.sleep(5);
        }
        throw new IllegalStateException("no row for " + ip + " on A's page within " + timeout.toSeconds() + " s");
    }

    private static int containersOf(String topology, String host) throws IOException {
        int n = 0;
        for (JsonNode c : JSON.readTree(topology).path("containers")) {
            n += host.equals(c.path("host").asText()) ? 1 : 0;
        }
        return n;
    }

    // ------------------------------------------------------------------ the event stream

    /** A's {@code /api/events}, read on a thread; each {@code data:} line with its arrival time. */
    private static final class EventWatch implements AutoCloseable {
        private record Event(Instant at, String data) {
        }

        private final UnixHttp.Streamed stream;
        private final List<Event> events = new CopyOnWriteArrayList<>();

        EventWatch(Path dataDir) {
            stream = StatusClient.stream(dataDir, "/api/events");
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("data: ")) {
                            events.add(new Event(Instant.now(), line.substring(6)));
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "ui-bench-events");
            t.setDaemon(true);
            t.start();
        }

        /** Arrival of the first event since {@code since} whose containers include {@code ip}. */
        Instant await(String ip, Instant since, Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            int checked = 0;
            while (System.nanoTime() < deadline) {
                for (; checked < events.size(); checked++) {
                    Event e = events.get(checked);
                    if (!e.at().isBefore(since) && e.data().contains(ip)) {
                        for (JsonNode c : JSON.readTree(e.data()).path("containers")) {
                            if (ip.equals(c.path("ip").asText())) {
                                return e.at();
                            }
                        }
                    }
                }
                MeshBench.sleep(2);
            }
            throw new IllegalStateException("no event naming " + ip + " within " + timeout.toSeconds() + " s");
        }

        @Override
        public void close() {
            stream.close();
        }
    }
}
