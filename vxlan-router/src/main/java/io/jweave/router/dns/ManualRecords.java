package io.jweave.router.dns;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.router.state.JsonFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records added on this host with {@code jweave dns-add}: owned by this host, persisted in
 * {@code DATA-DIR/dns-records.json} (written atomically), published to the mesh by the NameAgent.
 */
public final class ManualRecords {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One manual record: an address and a fully qualified name. */
    public record Manual(String ip, String name) {
    }

    record Snapshot(int version, List<Manual> records) {
    }

    private final Path file;
    private final Set<Manual> records = new LinkedHashSet<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public ManualRecords(Path dataDir) {
        this.file = dataDir.resolve("dns-records.json");
        if (Files.exists(file)) {
            try {
                Snapshot s = JSON.readValue(file.toFile(), Snapshot.class);
                if (s.records() != null) {
                    records.addAll(s.records());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read manual DNS records " + file + ": " + e.getMessage(), e);
            }
        }
    }

    public void onChange(Runnable r) {
        listeners.add(r);
    }

    public synchronized List<Manual> all() {
        List<Manual> out = new ArrayList<>(records);
        out.sort(Comparator.comparing(Manual::name).thenComparing(Manual::ip));
        return out;
    }

    /** Adds {@code name} for each address; returns how many were new. */
    public int add(List<String> ips, String fqdn) {
        int n;
        synchronized (this) {
            n = 0;
            for (String ip : ips) {
                if (records.add(new Manual(ip, fqdn))) {
                    n++;
                }
            }
            if (n > 0) {
                save();
            }
        }
        if (n > 0) {
            listeners.forEach(Runnable::run);
        }
        return n;
    }

    /** Removes {@code name} for the addresses given (all of its addresses when none); returns how many went. */
    public int remove(List<String> ips, String fqdn) {
        int n;
        synchronized (this) {
            int before = records.size();
            records.removeIf(m -> m.name().equals(fqdn) && (ips.isEmpty() || ips.contains(m.ip())));
            n = before - records.size();
            if (n > 0) {
                save();
            }
        }
        if (n > 0) {
            listeners.forEach(Runnable::run);
        }
        return n;
    }

    private void save() {
        JsonFiles.writeAtomically(file, new Snapshot(1, all()));
    }
}
