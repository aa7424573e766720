package io.jweave.router.mesh;

import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import io.jweave.discovery.Mesh;
import io.jweave.discovery.NetworkRecord;
import io.jweave.discovery.OwnedTable;
import io.jweave.ipam.Cidr;
import io.jweave.ipam.Ipv4Address;
import io.jweave.router.dns.DnsNames;
import io.jweave.router.dns.ManualRecords;
import io.jweave.router.dns.MeshDnsRegistry;
import io.jweave.router.dns.NameRecord;
import io.jweave.router.docker.ContainerInfo;
import io.jweave.router.docker.DockerEngine;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this host's DNS names to the mesh's {@code dns} table: for every running container on
 * a jweave network, its name, its {@code --network-alias}es on that network and its host name, as
 * {@code <name>.<domain>} for its address on that network; and the manual records added here.
 *
 * <p>Learned from the local dockerd's Engine API on one worker thread, never on a plugin request:
 * container start/die/destroy and network connect/disconnect events update one container at once;
 * a full, level-triggered resync (list + inspect, diff against what this host publishes) runs at
 * start, whenever the event stream (re)starts, and every {@link #RESYNC_SECONDS} s, so a missed
 * event never leaves a stale or missing record for long.
 */
public final class NameAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NameAgent.class);
    static final long RESYNC_SECONDS = 30;
    /** How long a router that stops cleanly waits for its withdrawn names to reach the other members. */
    private static final long WITHDRAW_WAIT_MS = 500;
    private static final String CONTAINER_PREFIX = "c/";
    private static final String MANUAL_PREFIX = "m/";

    private final String domain;
    private final DockerEngine docker;
    private final Mesh mesh;
    private final OwnedTable<NameRecord> table;
    private final ManualRecords manual;
    private final MeshDnsRegistry registry;
    private final ScheduledExecutorService worker;
    /** The local dockerd's jweave networks: Docker network ID → name (worker thread). */
    private Map<String, String> jweaveNets = Map.of();
    private volatile boolean closed;

    public NameAgent(String domain, DockerEngine docker, Mesh mesh, MeshDnsRegistry registry, ManualRecords manual) {
        this.domain = DnsNames.domain(domain);
        this.docker = docker;
        this.mesh = mesh;
        this.registry = registry;
        this.table = registry.table();
        this.manual = manual;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jweave-names");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        manual.onChange(() -> submit(this::publishManual));
        submit(this::publishManual);
        worker.scheduleWithFixedDelay(this::resync, 0, RESYNC_SECONDS, TimeUnit.SECONDS);
        worker.scheduleWithFixedDelay(this::expire, 5, 5, TimeUnit.SECONDS);
    }

    /** The Docker event stream (re)started: events may have been missed. */
    public void streamStarted() {
        submit(this::resync);
    }

    /** A container or network event of the local dockerd (called on the watcher's thread: only queues work). */
    public void dockerEvent(Event e) {
        String action = e.getAction() == null ? "" : e.getAction();
        if (e.getType() == EventType.CONTAINER) {
            String id = e.getId() != null ? e.getId() : e.getActor() == null ? null : e.getActor().getId();
            if (id == null) {
                return;
            }
            switch (action) {
                case "start", "rename" -> submit(() -> update(id));
                case "die", "destroy" -> submit(() -> withdrawContainer(id));
                default -> { }
            }
        } else if (e.getType() == EventType.NETWORK && (action.equals("connect") || action.equals("disconnect"))) {
            Map<String, String> attrs = e.getActor() == null ? null : e.getActor().getAttributes();
            String container = attrs == null ? null : attrs.get("container");
            if (container != null) {
                submit(() -> update(container));
            }
        }
    }

    private void submit(Runnable task) {
        if (closed) {
            return;
        }
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException ex) {
                    LOG.warn("dns names: {} (the next resync repairs it)", ex.toString());
                }
            });
        } catch (RejectedExecutionException ex) {
            LOG.debug("dns names: shutting down, dropped a task");
        }
    }

    private void expire() {
        try {
            registry.expire();
        } catch (RuntimeException e) {
            LOG.warn("dns names: expiring kept records failed: {}", e.toString());
        }
    }

    // ------------------------------------------------------------------ containers

    private void resync() {
        if (closed) {
            return;
        }
        try {
            Map<String, String> nets = networks();
            Map<String, NameRecord> want = new HashMap<>();
            Set<String> ids = new LinkedHashSet<>();
            for (String name : nets.values()) {
                ids.addAll(docker.runningContainersOn(name));
            }
            for (String id : ids) {
                docker.container(id).ifPresent(c -> want.putAll(rows(c)));
            }
            Set<String> stale = new HashSet<>();
            for (String k : table.mine().keySet()) {
                if (k.startsWith(CONTAINER_PREFIX) && !want.containsKey(k)) {
                    stale.add(k);
                }
            }
            apply(want, stale);
            publishManual();
        } catch (RuntimeException e) {
            // dockerd unreachable or restarting: keep what is published (its containers may run on)
            LOG.debug("dns names: resync failed: {}", e.toString());
        }
    }

    private Map<String, String> networks() {
        Map<String, String> out = docker.jweaveNetworkNames();
        jweaveNets = Map.copyOf(out);
        return out;
    }

    /** One container changed: inspect it and publish exactly its rows. */
    private void update(String id) {
        ContainerInfo c = docker.container(id).orElse(null);
        if (c == null) {
            withdrawContainer(id);
            return;
        }
        boolean unknown = c.networks().values().stream().anyMatch(a -> !jweaveNets.containsKey(a.networkId()));
        if (unknown) {
            networks(); // a network created since the last listing may be a jweave one
        }
        Map<String, NameRecord> want = rows(c);
        Set<String> stale = new HashSet<>();
        for (String k : table.mine().keySet()) {
            if (k.startsWith(CONTAINER_PREFIX + c.id() + "/") && !want.containsKey(k)) {
                stale.add(k);
            }
        }
        apply(want, stale);
    }

    private void withdrawContainer(String id) {
        Set<String> stale = new HashSet<>();
        for (String k : table.mine().keySet()) {
            if (k.startsWith(CONTAINER_PREFIX) && k.substring(CONTAINER_PREFIX.length()).startsWith(id)) {
                stale.add(k);
            }
        }
        apply(Map.of(), stale);
    }

    /** The rows of a running container: one per jweave network it is attached to. */
    Map<String, NameRecord> rows(ContainerInfo c) {
        Map<String, NameRecord> out = new HashMap<>();
        if (!c.running()) {
            return out;
        }
        for (Map.Entry<String, ContainerInfo.Attachment> e : c.networks().entrySet()) {
            ContainerInfo.Attachment a = e.getValue();
            if (a.ip().isEmpty() || !jweaveNets.containsKey(a.networkId())) {
                continue;
            }
            String network = jweaveNets.get(a.networkId());
            LinkedHashSet<String> names = new LinkedHashSet<>();
            DnsNames.qualify(c.name(), domain).ifPresent(names::add);
            for (String alias : a.aliases()) {
                DnsNames.qualify(alias, domain).ifPresent(names::add);
            }
            DnsNames.qualify(c.hostname(), domain).ifPresent(names::add);
            if (!names.isEmpty()) {
                out.put(NameRecord.containerKey(c.id(), network), new NameRecord(network, a.ip(), List.copyOf(names), c.id()));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ manual records

    private void publishManual() {
        Map<String, NameRecord> want = new HashMap<>();
        List<NetworkRecordRow> nets = meshNetworks();
        for (ManualRecords.Manual m : manual.all()) {
            String network = "";
            Ipv4Address ip = Ipv4Address.parse(m.ip());
            for (NetworkRecordRow n : nets) {
                if (n.subnet().contains(ip)) {
                    network = n.name();
                    break;
                }
            }
            want.put(NameRecord.manualKey(m.ip(), m.name()), new NameRecord(network, m.ip(), List.of(m.name()), ""));
        }
        Set<String> stale = new HashSet<>();
        for (String k : table.mine().keySet()) {
            if (k.startsWith(MANUAL_PREFIX) && !want.containsKey(k)) {
                stale.add(k);
            }
        }
        apply(want, stale);
    }

    private record NetworkRecordRow(String name, Cidr subnet) {
    }

    private List<NetworkRecordRow> meshNetworks() {
        Map<String, NetworkRecordRow> out = new HashMap<>();
        for (OwnedTable.Row<NetworkRecord> r : mesh.networks().all()) {
            if ("true".equals(r.value().options().get(MeshAgent.DELETED))) {
                continue;
            }
            try {
                out.putIfAbsent(r.key(), new NetworkRecordRow(r.key(), Cidr.parse(r.value().subnet())));
            } catch (RuntimeException e) {
                LOG.debug("dns names: network {} has an unreadable subnet {}", r.key(), r.value().subnet());
            }
        }
        return List.copyOf(out.values());
    }

    // ------------------------------------------------------------------ publishing

    private void apply(Map<String, NameRecord> want, Set<String> stale) {
        if (closed) {
            return;
        }
        Map<String, NameRecord> have = table.mine();
        boolean changed = false;
        for (Map.Entry<String, NameRecord> e : want.entrySet()) {
            if (!e.getValue().equals(have.get(e.getKey()))) {
                table.publish(e.getKey(), e.getValue());
                LOG.info("dns: published {} -> {} on {}", e.getValue().names(), e.getValue().ip(),
                        e.getValue().network().isEmpty() ? "every network" : e.getValue().network());
                changed = true;
            }
        }
        for (String k : stale) {
            if (have.containsKey(k)) {
                table.remove(k);
                LOG.info("dns: withdrew {} ({})", k, have.get(k).names());
                changed = true;
            }
        }
        Map<String, NameRecord> now = table.mine();
        int rows = now.size() - (now.containsKey(NameRecord.COMPLETE_KEY) ? 1 : 0);
        NameRecord marker = NameRecord.complete(rows);
        if (changed || !marker.equals(now.get(NameRecord.COMPLETE_KEY))) {
            table.publish(NameRecord.COMPLETE_KEY, marker); // after the rows: "my N rows are all there"
        }
    }

    /** Stops learning and withdraws every name of this host (a clean leave). */
    @Override
    public void close() {
        closed = true;
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Set<String> mine = table.mine().keySet();
            for (String k : mine) {
                table.remove(k);
            }
            if (!mine.isEmpty()) {
                LOG.info("dns: withdrew {} name row(s) before leaving", mine.size());
                // the others must see the removals while this host is still a member (else they keep the
                // names, as for a host that vanished); MeshAgent waits too, but only when it had endpoints
                if (mesh.members().stream().anyMatch(p -> p.state() == io.jweave.discovery.Peer.State.UP && !p.local())) {
                    Thread.sleep(WITHDRAW_WAIT_MS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("dns: could not withdraw this host's names before leaving: {}", e.toString());
        }
    }
}
