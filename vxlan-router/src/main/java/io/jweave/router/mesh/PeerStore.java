package io.jweave.router.mesh;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.discovery.JoinTargets;
import io.jweave.router.state.JsonFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The peers changed at runtime, in {@code DATA-DIR/peers.json} (written atomically): those added
 * with {@code jweave connect} and the launch peers removed with {@code jweave forget}. The join
 * targets of a router are its launch peers, plus connected, minus forgotten; the same after a
 * restart. Peers are kept as {@code host:port} ({@link JoinTargets#normalize}).
 */
public final class PeerStore {
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The file's content. */
    record Snapshot(List<String> connected, List<String> forgotten) {
    }

    private final Path file;
    private final int port;
    private final Set<String> connected = new LinkedHashSet<>();
    private final Set<String> forgotten = new LinkedHashSet<>();

    public PeerStore(Path dataDir, int meshPort) {
        this.file = dataDir.resolve("peers.json");
        this.port = meshPort;
        if (Files.exists(file)) {
            try {
                Snapshot s = JSON.readValue(file.toFile(), Snapshot.class);
                if (s.connected() != null) {
                    connected.addAll(s.connected());
                }
                if (s.forgotten() != null) {
                    forgotten.addAll(s.forgotten());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the peer list " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Launch peers + connected − forgotten, {@code host:port}, launch peers first. */
    public synchronized List<String> targets(List<String> launchPeers) {
        Set<String> out = new LinkedHashSet<>();
        for (String p : launchPeers) {
            out.add(JoinTargets.normalize(p, port));
        }
        out.addAll(connected);
        out.removeAll(forgotten);
        return List.copyOf(out);
    }

    /** Records {@code peer} as connected (and no longer forgotten); returns its normalized form. */
    public synchronized String connected(String peer) {
        String p = JoinTargets.normalize(peer, port);
        connected.add(p);
        forgotten.remove(p);
        save();
        return p;
    }

    /** Records {@code peer} as forgotten (and no longer connected); returns its normalized form. */
    public synchronized String forgotten(String peer) {
        String p = JoinTargets.normalize(peer, port);
        connected.remove(p);
        forgotten.add(p);
        save();
        return p;
    }

    public Path file() {
        return file;
    }

    private void save() {
        JsonFiles.writeAtomically(file, new Snapshot(new ArrayList<>(connected), new ArrayList<>(forgotten)));
    }
}
