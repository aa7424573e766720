package io.jweave.plugin;

import java.io.IOException;
import java.nio.file.Path;

/** Another live server already answers on the plugin socket path; this one refuses to start. */
public class SocketInUseException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    public SocketInUseException(Path path) {
        super("another server is already listening on " + path + "; refusing to start a second one");
        this.path = path;
    }

    public Path path() {
        return path;
    }
}
