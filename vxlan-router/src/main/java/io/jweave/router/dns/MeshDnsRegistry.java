package io.jweave.router.dns;

import io.jweave.discovery.Mesh;
import io.jweave.discovery.OwnedTable;
import io.jweave.discovery.Peer;
import io.jweave.discovery.Subscription;
import io.jweave.discovery.TableListener;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The names the DNS server answers from: the mesh's {@code dns} table (rows published by the host
 * that owns each container, and manual records), read locally. Lookups read an immutable index
 * rebuilt on every change of the table, so they never block and never leave the process.
 *
 * <p>Leave semantics are the endpoints' (see MeshAgent): rows an owner withdraws while it is a
 * member (a container stopped, a clean {@code jweave stop}) go at once; rows the mesh drops because
 * their owner vanished (killed, cut off) are kept — its containers most likely still run — until
 * the owner is back and has re-published ({@link NameRecord#COMPLETE_KEY}), it has been back for
 * {@link #REJOIN_SETTLE_NANOS}, or the reclaim grace is over.
 */
public final class MeshDnsRegistry implements DnsRegistry, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MeshDnsRegistry.class);
    static final long REJOIN_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** One row as this registry holds it. */
    public record Entry(String owner, String key, NameRecord record) {
    }

    private record Kept(Entry entry, long sinceNanos) {
    }

    /** Lookup structures, replaced as a whole. */
    private record Index(Map<String, List<Entry>> byName, Map<String, List<Entry>> byIp,
                         Map<String, Set<String>> scopeByClient, List<Entry> all) {
        static final Index EMPTY = new Index(Map.of(), Map.of(), Map.of(), List.of());
    }

    private final Mesh mesh;
    private final OwnedTable<NameRecord> table;
    private final String self;
    /** Rows as the table's events told them (owner/key → entry), completeness markers included. */
    private final Map<String, Entry> rows = new ConcurrentHashMap<>();
    private final Map<String, Kept> kept = new ConcurrentHashMap<>();
    private final Map<String, Long> upSince = new ConcurrentHashMap<>();
    private final Subscription subscription;
    private volatile Index index = Index.EMPTY;

    public MeshDnsRegistry(Mesh mesh, OwnedTable<NameRecord> table) {
        this.mesh = mesh;
        this.table = table;
        this.self = mesh.localName();
        this.subscription = table.subscribe(new TableListener<>() {
            @Override
            public void added(OwnedTable.Row<NameRecord> row) {
                seen(row);
            }

            @Override
            public void updated(OwnedTable.Row<NameRecord> before, OwnedTable.Row<NameRecord> after) {
                seen(after);
            }

            @Override
            public void removed(OwnedTable.Row<NameRecord> row) {
                gone(row);
            }
        });
    }

    public OwnedTable<NameRecord> table() {
        return table;
    }

    private void seen(OwnedTable.Row<NameRecord> row) {
        String k = row.owner() + "/" + row.key();
        rows.put(k, new Entry(row.owner(), row.key(), row.value()));
        kept.remove(k);
        rebuild();
    }

    private void gone(OwnedTable.Row<NameRecord> row) {
        String k = row.owner() + "/" + row.key();
        Entry e = rows.remove(k);
        if (e == null) {
            e = new Entry(row.owner(), row.key(), row.value());
        }
        if (!row.owner().equals(self) && !isUp(row.owner()) && !row.key().equals(NameRecord.COMPLETE_KEY)) {
            boolean first = kept.values().stream().noneMatch(x -> x.entry().owner().equals(row.owner()));
            kept.put(k, new Kept(e, System.nanoTime()));
            if (first) {
                LOG.info("dns: {} vanished without withdrawing its names (killed or cut off); keeping them until it"
                        + " re-publishes or for {} s at most", row.owner(), mesh.config().reclaimGrace().toSeconds());
            }
        }
        rebuild();
    }

    private boolean isUp(String host) {
        for (Peer p : mesh.members()) {
            if (p.state() == Peer.State.UP && p.name().equals(host)) {
                return true;
            }
        }
        return false;
    }

    /** Drops kept rows whose time is over; called periodically (and cheap when nothing is kept). */
    public void expire() {
        if (kept.isEmpty()) {
            upSince.clear();
            return;
        }
        long now = System.nanoTime();
        long grace = mesh.config().reclaimGrace().toNanos();
        Set<String> up = new HashSet<>();
        for (Peer p : mesh.members()) {
            if (p.state() == Peer.State.UP) {
                up.add(p.name());
            }
        }
        upSince.keySet().retainAll(up);
        boolean changed = false;
        for (Map.Entry<String, Kept> k : kept.entrySet()) {
            String owner = k.getValue().entry().owner();
            String why = null;
            if (now - k.getValue().sinceNanos() > grace) {
                why = "its owner has been away for the whole reclaim grace";
            } else if (up.contains(owner) && complete(owner)) {
                why = "its owner is back and has re-published its names without it";
            } else if (up.contains(owner) && now - upSince.computeIfAbsent(owner, o -> now) > REJOIN_SETTLE_NANOS) {
                why = "its owner is back and did not re-publish it";
            }
            if (why != null && kept.remove(k.getKey(), k.getValue())) {
                changed = true;
                LOG.info("dns: dropping {} of {}: {}", k.getValue().entry().key(), owner, why);
            }
        }
        if (changed) {
            rebuild();
        }
    }

    private boolean complete(String owner) {
        Entry marker = rows.get(owner + "/" + NameRecord.COMPLETE_KEY);
        if (marker == null) {
            return false;
        }
        long n = rows.values().stream().filter(e -> e.owner().equals(owner) && !e.key().equals(NameRecord.COMPLETE_KEY)).count();
        return Integer.toString((int) n).equals(marker.record().ip());
    }

    private synchronized void rebuild() {
        Map<String, List<Entry>> byName = new HashMap<>();
        Map<String, List<Entry>> byIp = new HashMap<>();
        Map<String, Set<String>> networksOfContainer = new HashMap<>();
        List<Entry> all = new ArrayList<>();
        Set<String> live = new HashSet<>();
        for (Entry e : rows.values()) {
            if (!e.key().equals(NameRecord.COMPLETE_KEY)) {
                all.add(e);
                live.add(e.record().network() + " " + e.record().ip());
            }
        }
        for (Kept k : kept.values()) {
            // a live row for the same address (e.g. the address was reused) wins over a kept one
            if (!live.contains(k.entry().record().network() + " " + k.entry().record().ip())) {
                all.add(k.entry());
            }
        }
        all.sort((a, b) -> (a.owner() + "/" + a.key()).compareTo(b.owner() + "/" + b.key()));
        for (Entry e : all) {
            NameRecord r = e.record();
            for (String n : r.names()) {
                byName.computeIfAbsent(n, x -> new ArrayList<>()).add(e);
            }
            byIp.computeIfAbsent(r.ip(), x -> new ArrayList<>()).add(e);
            if (!r.manual()) {
                networksOfContainer.computeIfAbsent(e.owner() + "/" + r.container(), x -> new LinkedHashSet<>()).add(r.network());
            }
        }
        Map<String, Set<String>> scope = new HashMap<>();
        for (Entry e : all) {
            NameRecord r = e.record();
            if (!r.manual()) {
                scope.put(r.network() + " " + r.ip(), Set.copyOf(networksOfContainer.get(e.owner() + "/" + r.container())));
            }
        }
        index = new Index(freeze(byName), freeze(byIp), Map.copyOf(scope), List.copyOf(all));
    }

    private static Map<String, List<Entry>> freeze(Map<String, List<Entry>> m) {
        Map<String, List<Entry>> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return Map.copyOf(out);
    }

    @Override
    public Set<String> scope(String network, Inet4Address client) {
        Set<String> s = index.scopeByClient().get(network + " " + client.getHostAddress());
        return s != null ? s : Set.of(network);
    }

    @Override
    public List<Inet4Address> addresses(String fqdn, Set<String> networks) {
        List<Entry> es = index.byName().get(fqdn);
        if (es == null) {
            return List.of();
        }
        LinkedHashSet<String> ips = new LinkedHashSet<>();
        for (Entry e : es) {
            if (visible(e, networks)) {
                ips.add(e.record().ip());
            }
        }
        List<Inet4Address> out = new ArrayList<>(ips.size());
        for (String ip : ips) {
            out.add(DnsNames.ipv4(ip));
        }
        if (out.size() > 1) {
            Collections.shuffle(out, ThreadLocalRandom.current());
        }
        return out;
    }

    @Override
    public List<String> names(Inet4Address address, Set<String> networks) {
        List<Entry> es = index.byIp().get(address.getHostAddress());
        if (es == null) {
            return List.of();
        }
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (Entry e : es) {
            if (visible(e, networks)) {
                out.addAll(e.record().names());
            }
        }
        return List.copyOf(out);
    }

    private static boolean visible(Entry e, Set<String> networks) {
        String n = e.record().network();
        return n.isEmpty() || networks.contains(n);
    }

    /** Every record (live and kept), sorted by owner and key. */
    public List<Entry> entries() {
        return index.all();
    }

    /** Records kept for hosts that vanished. */
    public int keptCount() {
        return kept.size();
    }

    /** Every record under {@code fqdn}, on any network (for {@code jweave dns-lookup}). */
    public List<Entry> lookup(String fqdn) {
        return index.byName().getOrDefault(fqdn, List.of());
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            LOG.debug("closing the dns table subscription: {}", e.toString());
        }
    }
}
