package io.jweave.router.mesh;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.discovery.Claim;
import io.jweave.discovery.MeshMemory;
import io.jweave.router.state.JsonFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The mesh's memory (known hosts, claims voted on) in {@code DATA-DIR/mesh.json}, written atomically. */
final class FileMeshMemory implements MeshMemory {
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    record Snapshot(Map<String, Long> knownHosts, List<Claim> claims) {
    }

    private final Path file;
    private Map<String, Long> hosts;
    private List<Claim> claims;

    FileMeshMemory(Path dataDir) {
        this.file = dataDir.resolve("mesh.json");
        Map<String, Long> h = Map.of();
        List<Claim> c = List.of();
        if (Files.exists(file)) {
            try {
                Snapshot s = JSON.readValue(file.toFile(), Snapshot.class);
                h = s.knownHosts() == null ? Map.of() : s.knownHosts();
                c = s.claims() == null ? List.of() : s.claims();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read mesh memory " + file + ": " + e.getMessage(), e);
            }
        }
        this.hosts = Map.copyOf(h);
        this.claims = List.copyOf(c);
    }

    @Override
    public synchronized Map<String, Long> knownHosts() {
        return hosts;
    }

    @Override
    public synchronized void knownHostsChanged(Map<String, Long> h) {
        hosts = Map.copyOf(h);
        save();
    }

    @Override
    public synchronized Collection<Claim> claims() {
        return claims;
    }

    @Override
    public synchronized void claimsChanged(Collection<Claim> c) {
        claims = List.copyOf(c);
        save();
    }

    private void save() {
        JsonFiles.writeAtomically(file, new Snapshot(hosts, claims));
    }
}
