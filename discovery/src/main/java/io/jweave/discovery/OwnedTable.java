package io.jweave.discovery;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.EntryListener;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

/**
 * A replicated table of rows owned by hosts, keyed by (owner, key). Only the local host publishes
 * or removes its own rows; everyone reads everything locally.
 *
 * <p>Backed by a Hazelcast {@link ReplicatedMap} (every member holds a full copy, reads never leave
 * the process). The stored key is {@code owner + '/' + key}, the value the codec's string. The
 * local host also keeps its rows in memory ({@link #mine()}); {@link #resync()} makes the mesh
 * match that memory (re-publish missing or different rows, remove rows under its name it no
 * longer has). The mesh calls it after start, after a merge, when members join and periodically.
 */
public final class OwnedTable<V> {

    /** One row. */
    public record Row<V>(String owner, String key, V value) {
    }

    private static final Logger log = LoggerFactory.getLogger(OwnedTable.class);

    private final String name;
    private final String localName;
    private final ReplicatedMap<String, String> map;
    private final Codec<V> codec;
    private final Executor events;
    private final Map<String, V> mine = new ConcurrentHashMap<>();
    private final List<TableListener<V>> listeners = new CopyOnWriteArrayList<>();
    /** The view listeners have been told about; touched only on the event thread. */
    private final Map<String, String> told = new HashMap<>();
    private final UUID registration;

    OwnedTable(String name, String localName, ReplicatedMap<String, String> map, Codec<V> codec, Executor events) {
        this.name = name;
        this.localName = localName;
        this.map = map;
        this.codec = codec;
        this.events = events;
        this.registration = map.addEntryListener(new Changes());
    }

    public String name() {
        return name;
    }

    /** Publishes (or replaces) this host's row {@code key}. */
    public void publish(String key, V value) {
        checkKey(key);
        Objects.requireNonNull(value, "value");
        String text = codec.encode(value);
        mine.put(key, value);
        String before = map.put(localName + "/" + key, text);
        if (!text.equals(before)) {
            log.debug("table {}: published {}/{}", name, localName, key);
        }
    }

    /** Removes this host's row {@code key}. Idempotent. */
    public void remove(String key) {
        checkKey(key);
        mine.remove(key);
        if (map.remove(localName + "/" + key) != null) {
            log.debug("table {}: removed {}/{}", name, localName, key);
        }
    }

    /** A row, read locally. */
    public Optional<V> get(String owner, String key) {
        String text = map.get(owner + "/" + key);
        return text == null ? Optional.empty() : Optional.of(codec.decode(text));
    }

    /** Every row, read locally, sorted by owner then key. */
    public List<Row<V>> all() {
        List<Row<V>> out = new ArrayList<>();
        for (Map.Entry<String, String> e : map.entrySet()) {
            Row<V> r = row(e.getKey(), e.getValue());
            if (r != null) {
                out.add(r);
            }
        }
        out.sort(Comparator.comparing((Row<V> r) -> r.owner).thenComparing(r -> r.key));
        return out;
    }

    /** Rows of one owner, read locally. */
    public List<Row<V>> byOwner(String owner) {
        return all().stream().filter(r -> r.owner.equals(owner)).toList();
    }

    /** This host's own rows as it remembers them (what it re-publishes). */
    public Map<String, V> mine() {
        return Map.copyOf(mine);
    }

    /** Subscribes; the listener first gets {@code added} for every row present. */
    public Subscription subscribe(TableListener<V> listener) {
        events.execute(() -> {
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(told).entrySet()) {
                Row<V> r = row(e.getKey(), e.getValue());
                if (r != null) {
                    safely(() -> listener.added(r));
                }
            }
            listeners.add(listener);
        });
        return () -> listeners.remove(listener);
    }

    // ---- mesh-internal ----

    /** Makes the mesh hold exactly this host's remembered rows. Returns how many writes it took. */
    int resync() {
        return resync(false);
    }

    /**
     * Like {@link #resync()}; with {@code force}, every row is written again even where the local
     * replica already has it, so that members whose replica was reset (a merge, a join) get it now
     * rather than at Hazelcast's next replica anti-entropy round.
     */
    int resync(boolean force) {
        int writes = 0;
        for (Map.Entry<String, V> e : mine.entrySet()) {
            String k = localName + "/" + e.getKey();
            String text = codec.encode(e.getValue());
            if (force || !text.equals(map.get(k))) {
                map.put(k, text);
                writes++;
            }
        }
        for (String k : map.keySet()) {
            if (owner(k).equals(localName) && !mine.containsKey(k.substring(localName.length() + 1))) {
                map.remove(k);
                writes++;
            }
        }
        if (writes > 0) {
            log.info("table {}: re-published {} row(s) of {}", name, writes, localName);
        }
        return writes;
    }

    /** Removes every row of a departed owner (idempotent; all survivors may do it). */
    int dropOwner(String owner) {
        if (owner.equals(localName)) {
            return 0;
        }
        int n = 0;
        for (String k : map.keySet()) {
            if (owner(k).equals(owner) && map.remove(k) != null) {
                n++;
            }
        }
        if (n > 0) {
            log.info("table {}: removed {} row(s) of departed host {}", name, n, owner);
        }
        return n;
    }

    /** Owners that have rows. */
    Set<String> owners() {
        Set<String> out = new java.util.HashSet<>();
        for (String k : map.keySet()) {
            out.add(owner(k));
        }
        return out;
    }

    /** Compares the local replica with what listeners were told and tells them the difference. */
    void refresh() {
        events.execute(this::diffAll);
    }

    void close() {
        try {
            map.removeEntryListener(registration);
        } catch (RuntimeException e) {
            log.debug("table {}: listener already gone ({})", name, e.toString());
        }
    }

    private void diffAll() {
        Map<String, String> now = new HashMap<>();
        try {
            for (Map.Entry<String, String> e : map.entrySet()) {
                now.put(e.getKey(), e.getValue());
            }
        } catch (RuntimeException e) {
            log.debug("table {}: not readable now ({})", name, e.toString());
            return;
        }
        Set<String> keys = new java.util.TreeSet<>(told.keySet());
        keys.addAll(now.keySet());
        for (String k : keys) {
            changed(k, now.get(k));
        }
    }

    private void diffOne(String k) {
        String now;
        try {
            now = map.get(k);
        } catch (RuntimeException e) {
            return;
        }
        changed(k, now);
    }

    private void changed(String k, String now) {
        String before = told.get(k);
        if (Objects.equals(before, now)) {
            return;
        }
        Row<V> b = before == null ? null : row(k, before);
        Row<V> a = now == null ? null : row(k, now);
        if (now == null) {
            told.remove(k);
        } else {
            told.put(k, now);
        }
        for (TableListener<V> l : listeners) {
            if (b == null && a != null) {
                safely(() -> l.added(a));
            } else if (b != null && a == null) {
                safely(() -> l.removed(b));
            } else if (a != null) {
                safely(() -> l.updated(b, a));
            }
        }
    }

    private Row<V> row(String k, String text) {
        int slash = k.indexOf('/');
        if (slash <= 0) {
            return null;
        }
        try {
            return new Row<>(k.substring(0, slash), k.substring(slash + 1), codec.decode(text));
        } catch (RuntimeException e) {
            log.warn("table {}: ignoring undecodable row {}: {}", name, k, e.getMessage());
            return null;
        }
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.warn("table {}: listener failed", name, e);
        }
    }

    private static String owner(String storedKey) {
        int slash = storedKey.indexOf('/');
        return slash < 0 ? storedKey : storedKey.substring(0, slash);
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("table key must not be empty");
        }
    }

    private final class Changes implements EntryListener<String, String> {
        private void on(EntryEvent<String, String> e) {
            String k = e.getKey();
            events.execute(() -> diffOne(k));
        }

        @Override
        public void entryAdded(EntryEvent<String, String> e) {
            on(e);
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> e) {
            on(e);
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> e) {
            on(e);
        }

        @Override
        public void entryEvicted(EntryEvent<String, String> e) {
            on(e);
        }

        @Override
        public void entryExpired(EntryEvent<String, String> e) {
            on(e);
        }

        @Override
        public void mapCleared(MapEvent e) {
            events.execute(OwnedTable.this::diffAll);
        }

        @Override
        public void mapEvicted(MapEvent e) {
            events.execute(OwnedTable.this::diffAll);
        }
    }
}
