package io.jweave.ipam;

import java.nio.file.Path;

/**
 * The IPAM state could not be read or written. Not a user error in the Docker sense: the message
 * names the file so an operator can act (restore from backup, free disk space, fix permissions).
 * A failed write leaves the previous state both on disk and in memory.
 */
public class IpamStoreException extends RuntimeException {

    private final Path file;

    public IpamStoreException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The state file concerned. */
    public Path file() {
        return file;
    }
}
