package io.jweave.ipam;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** Where {@link Ipam} keeps its state. Every change is saved before the caller gets an answer. */
public interface IpamStore {

    /**
     * The saved state, or empty if nothing was ever saved.
     *
     * @throws IpamStoreException if the saved state cannot be read or is corrupt
     */
    Optional<IpamState> load();

    /**
     * Replaces the saved state atomically: after a crash either the old or the new state is found.
     *
     * @throws IpamStoreException if it could not be written (the old state is then still there)
     */
    void save(IpamState state);

    /** {@code <dataDir>/ipam.json}, written with write-temp + fsync + rename + fsync(dir). */
    static IpamStore inDirectory(Path dataDir) {
        return new FileIpamStore(dataDir);
    }

    /** Keeps the state in memory only (tests, dry runs). */
    static IpamStore inMemory() {
        AtomicReference<IpamState> saved = new AtomicReference<>();
        return new IpamStore() {
            @Override
            public Optional<IpamState> load() {
                return Optional.ofNullable(saved.get());
            }

            @Override
            public void save(IpamState state) {
                saved.set(state);
            }
        };
    }
}
