package io.jweave.router.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What Docker will not tell the router again: its networks and endpoints. Kept in memory and
 * written atomically (temp file, fsync, rename, fsync of the directory) after every change, so a
 * crash leaves either the old or the new state on disk, never a torn one.
 */
public final class StateStore {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The on-disk format. */
    record Snapshot(int version, List<NetworkRecord> networks, List<EndpointRecord> endpoints) {
    }

    private final Path file;
    private final Map<String, NetworkRecord> networks = new LinkedHashMap<>();
    private final Map<String, EndpointRecord> endpoints = new LinkedHashMap<>();
    private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public StateStore(Path dataDir) {
        this.file = dataDir.resolve("router-state.json");
        try {
            Files.createDirectories(dataDir);
            if (Files.exists(file)) {
                Snapshot s = JSON.readValue(file.toFile(), Snapshot.class);
                if (s.networks() != null) {
                    s.networks().forEach(n -> networks.put(n.networkId(), n));
                }
                if (s.endpoints() != null) {
                    s.endpoints().forEach(e -> endpoints.put(e.endpointId(), e));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read router state " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    public synchronized Optional<NetworkRecord> network(String networkId) {
        return Optional.ofNullable(networks.get(networkId));
    }

    public synchronized Optional<EndpointRecord> endpoint(String endpointId) {
        return Optional.ofNullable(endpoints.get(endpointId));
    }

    public synchronized List<NetworkRecord> networks() {
        return new ArrayList<>(networks.values());
    }

    public synchronized List<EndpointRecord> endpoints() {
        return new ArrayList<>(endpoints.values());
    }

    public synchronized List<EndpointRecord> endpointsOf(String networkId) {
        return endpoints.values().stream().filter(e -> e.networkId().equals(networkId)).toList();
    }

    public synchronized void putNetwork(NetworkRecord n) {
        networks.put(n.networkId(), n);
        flush();
    }

    public synchronized void removeNetwork(String networkId) {
        if (networks.remove(networkId) != null) {
            flush();
        }
    }

    public synchronized void putEndpoint(EndpointRecord e) {
        endpoints.put(e.endpointId(), e);
        flush();
    }

    /**
     * Changes an endpoint's record without writing the file: for what a restart may forget (the
     * sandbox an endpoint joined). It is written with the next change that is flushed.
     */
    public synchronized void updateEndpointInMemory(EndpointRecord e) {
        if (endpoints.containsKey(e.endpointId())) {
            endpoints.put(e.endpointId(), e);
        }
    }

    public synchronized void removeEndpoint(String endpointId) {
        if (endpoints.remove(endpointId) != null) {
            flush();
        }
    }

    /** Runs {@code r} after every change (on the changing thread: it must only schedule work). */
    public void onChange(Runnable r) {
        listeners.add(r);
    }

    /** Writes the current state atomically, then tells the listeners. */
    public synchronized void flush() {
        JsonFiles.writeAtomically(file, new Snapshot(1, networks(), endpoints()));
        listeners.forEach(Runnable::run);
    }

    /** For status output. */
    public synchronized Collection<NetworkRecord> networkView() {
        return List.copyOf(networks.values());
    }
}
