package io.jweave.ipam;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Stores the IPAM state as {@code <dataDir>/ipam.json}. A save writes {@code ipam.json.tmp},
 * fsyncs it, renames it over {@code ipam.json} and fsyncs the directory, so a crash at any point
 * leaves either the old or the new file, never a torn one.
 */
public final class FileIpamStore implements IpamStore {

    private static final Logger log = LoggerFactory.getLogger(FileIpamStore.class);

    public static final String FILE_NAME = "ipam.json";

    private final Path dir;
    private final Path file;
    private final Path temp;
    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public FileIpamStore(Path dataDir) {
        this.dir = dataDir.toAbsolutePath();
        this.file = dir.resolve(FILE_NAME);
        this.temp = dir.resolve(FILE_NAME + ".tmp");
    }

    public Path file() {
        return file;
    }

    @Override
    public Optional<IpamState> load() {
        byte[] bytes;
        try {
            // A leftover temp file is a save that never completed; the real file is intact.
            if (Files.deleteIfExists(temp)) {
                log.warn("removed unfinished IPAM state write {}", temp);
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IpamStoreException(file, "cannot read IPAM state " + file + ": " + e, e);
        }
        try {
            IpamState state = mapper.readValue(bytes, IpamState.class);
            if (state == null) {
                throw new IpamStoreException(file, corruptMessage("the file is empty"), null);
            }
            if (state.version() != IpamState.CURRENT_VERSION) {
                throw new IpamStoreException(file, "IPAM state " + file + " has format version " + state.version()
                        + ", this jweave understands version " + IpamState.CURRENT_VERSION, null);
            }
            return Optional.of(state);
        } catch (JsonProcessingException e) {
            throw new IpamStoreException(file, corruptMessage(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new IpamStoreException(file, "cannot read IPAM state " + file + ": " + e, e);
        }
    }

    private String corruptMessage(String reason) {
        return "corrupt IPAM state file " + file + ": " + reason
                + " (fix it or move it aside; moving it aside forgets every pool and address jweave handed to Docker)";
    }

    @Override
    public void save(IpamState state) {
        try {
            byte[] bytes = mapper.writeValueAsBytes(state);
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot rename atomically", e);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the next load removes it
            }
            throw new IpamStoreException(file, "cannot write IPAM state " + file + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
