package io.jweave.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.jweave.capture.CaptureException;
import io.jweave.capture.CaptureFilter;
import io.jweave.capture.NamespaceCapture;
import io.jweave.discovery.Mesh;
import io.jweave.discovery.OwnedTable;
import io.jweave.discovery.Peer;
import io.jweave.netlink.MacAddress;
import io.jweave.router.datapath.Datapath;
import io.jweave.router.mesh.MeshAgent;
import io.jweave.router.state.NetworkRecord;
import io.jweave.router.state.StateStore;
import io.jweave.router.status.ApiException;
import io.jweave.router.status.StatusServer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /capture?network=NAME[&count=N][&peer=NAME]}: the frames of a network on this host, as a
 * pcap stream ({@value #CONTENT_TYPE}), captured on the bridge {@value Datapath#BRIDGE} inside the
 * network's namespace ({@link NamespaceCapture}). Ends after {@code count} frames, or when the client
 * goes away (which closes the capture and frees its handle).
 *
 * <p>{@code peer}: only frames from or to that router's endpoints on the network, by their MAC
 * addresses as the mesh lists them when the capture starts (a BPF filter {@code ether host M1 or
 * ...}). A peer with no endpoint on the network is refused (404, saying so) rather than capturing
 * nothing until stopped; endpoints it starts during the capture are not added.
 *
 * <p>Refusals, each one line: 400 for a missing network or a bad count, 404 for a network this host
 * does not have, a peer the mesh does not know, or one without endpoints on the network; 400 for this
 * router's own name as the peer; 503 when {@value #MAX_CAPTURES} captures already run; 500 when
 * libpcap cannot open the capture (not installed, ...).
 */
public final class RouterCapture {
    private static final Logger LOG = LoggerFactory.getLogger(RouterCapture.class);
    public static final String CONTENT_TYPE = "application/vnd.tcpdump.pcap";
    /** Response header describing what is captured (the CLI prints it). */
    public static final String INFO_HEADER = "X-Jweave-Capture";
    /** Captures at once (each holds a kernel buffer and a thread). */
    static final int MAX_CAPTURES = 4;

    private final RouterConfig cfg;
    private final StateStore state;
    private final MeshAgent agent;
    private final Datapath datapath;
    private final AtomicInteger running = new AtomicInteger();

    public RouterCapture(RouterConfig cfg, StateStore state, MeshAgent agent, Datapath datapath) {
        this.cfg = cfg;
        this.state = state;
        this.agent = agent;
        this.datapath = datapath;
    }

    public Map<String, StatusServer.Endpoint> routes() {
        return Map.of("/capture", StatusServer.Endpoint.stream(this::open, CONTENT_TYPE));
    }

    /** What to capture, resolved from the request: the network's namespace and the filter. */
    record Target(String network, int vni, Datapath.NetworkNamespace ns, CaptureFilter filter, String peer, int peerEndpoints) {
    }

    StatusServer.Stream open(JsonNode q) {
        String network = text(q, "network");
        if (network == null) {
            throw ApiException.badRequest("GET /capture needs ?network=NAME");
        }
        long count = count(q);
        Target t = target(network, text(q, "peer"));
        if (running.incrementAndGet() > MAX_CAPTURES) {
            running.decrementAndGet();
            throw new ApiException(503, MAX_CAPTURES + " captures are running on this router already; stop one first");
        }
        NamespaceCapture c;
        try {
            c = NamespaceCapture.open(t.ns().ns(), Datapath.BRIDGE, t.filter());
        } catch (CaptureException e) {
            running.decrementAndGet();
            throw new ApiException(500, "cannot capture network " + network + ": " + e.getMessage());
        } catch (RuntimeException e) { // the namespace went away (network removed meanwhile), ...
            running.decrementAndGet();
            throw new ApiException(500, "cannot capture network " + network + ": " + e.getMessage());
        }
        String info = "network " + network + " on " + cfg.name() + " (bridge " + Datapath.BRIDGE + ", vni " + t.vni() + ")"
                + (t.peer() == null ? "" : ", frames to or from peer " + t.peer() + " (" + t.peerEndpoints() + " endpoint"
                + (t.peerEndpoints() == 1 ? "" : "s") + ")");
        LOG.info("capture of {} started{}", info, count > 0 ? ", " + count + " frames" : "");
        return new StatusServer.Stream() {
            private boolean closed;

            @Override
            public void writeTo(OutputStream out) throws IOException {
                c.writeTo(out, count);
            }

            @Override
            public Map<String, String> headers() {
                return Map.of(INFO_HEADER, info);
            }

            @Override
            public void close() {
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    closed = true;
                }
                try {
                    c.close();
                } finally {
                    running.decrementAndGet();
                    LOG.info("capture of network {} ended after {} frames", network, c.frames());
                }
            }
        };
    }

    /** The network's namespace and the filter for {@code peer} (null: every frame). */
    Target target(String network, String peer) {
        Map<String, String> names = agent.localNames();
        List<String> known = new ArrayList<>();
        String networkId = null;
        for (Map.Entry<String, String> e : names.entrySet()) {
            if (state.network(e.getKey()).isPresent()) {
                known.add(e.getValue());
                if (e.getValue().equals(network)) {
                    networkId = e.getKey();
                }
            }
        }
        if (networkId == null) {
            throw ApiException.notFound("no network " + network + " on this host (networks: "
                    + (known.isEmpty() ? "none" : String.join(", ", new TreeSet<>(known))) + ")");
        }
        NetworkRecord rec = state.network(networkId).orElseThrow(() -> ApiException.notFound("no network " + network + " on this host"));
        Datapath.NetworkNamespace ns = datapath.namespace(rec.vni())
                .orElseThrow(() -> ApiException.notFound("network " + network + " has no datapath on this host"));
        if (peer == null) {
            return new Target(network, rec.vni(), ns, CaptureFilter.none(), null, 0);
        }
        if (peer.equals(cfg.name())) {
            throw ApiException.badRequest("peer " + peer + " is this router; --peer takes another router's name (jweave peers)");
        }
        Mesh m = agent.mesh();
        if (m == null) {
            throw new ApiException(503, "the router has not joined its mesh yet");
        }
        Set<String> peers = new TreeSet<>();
        for (Peer p : m.members()) {
            if (!p.local()) {
                peers.add(p.name());
            }
        }
        Set<MacAddress> macs = new LinkedHashSet<>();
        for (OwnedTable.Row<io.jweave.discovery.EndpointRecord> r : m.endpoints().all()) {
            if (r.owner().equals(cfg.name())) {
                continue;
            }
            peers.add(r.owner()); // a vanished router whose endpoints are kept is a peer too
            if (r.owner().equals(peer) && r.value().network().equals(network)) {
                try {
                    macs.add(MacAddress.parse(r.value().mac()));
                } catch (IllegalArgumentException e) {
                    LOG.warn("endpoint {} of {} has a malformed MAC {}", r.key(), peer, r.value().mac());
                }
            }
        }
        if (!peers.contains(peer)) {
            throw ApiException.notFound("no peer " + peer + " in the mesh (peers: "
                    + (peers.isEmpty() ? "none" : String.join(", ", peers)) + ")");
        }
        if (macs.isEmpty()) {
            throw ApiException.notFound("peer " + peer + " has no endpoints on network " + network
                    + ", so none of its frames cross this host's bridge");
        }
        return new Target(network, rec.vni(), ns, CaptureFilter.macs(macs), peer, macs.size());
    }

    private static String text(JsonNode q, String field) {
        JsonNode n = q.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual() || n.asText().isBlank()) {
            throw ApiException.badRequest("?" + field + "= needs one non-empty value");
        }
        return n.asText().strip();
    }

    private static long count(JsonNode q) {
        String c = text(q, "count");
        if (c == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(c);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw ApiException.badRequest("count must be a whole number of frames, at least 1, not \"" + c + "\"");
    }

    /** For tests: captures running now. */
    int running() {
        return running.get();
    }
}
