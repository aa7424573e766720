package io.jweave.plugin;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of a {@link PluginServer}.
 *
 * @param socketPath      where the Unix socket appears; Docker finds {@code /run/docker/plugins/<name>.sock}
 * @param callThreads     threads running driver calls (calls from one connection run one at a time)
 * @param maxRequestBytes largest request body accepted; larger ones get 413
 * @param socketGroup     group to give the socket file (mode 0660), or {@code ""} to keep the process's
 * @param listener        told about every call, for metrics
 */
public record PluginServerConfig(
        Path socketPath,
        int callThreads,
        int maxRequestBytes,
        String socketGroup,
        PluginCallListener listener) {

    public static final Path DEFAULT_SOCKET_PATH = Path.of("/run/docker/plugins/jweave.sock");
    public static final int DEFAULT_CALL_THREADS = 4;
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

    public PluginServerConfig {
        Objects.requireNonNull(socketPath, "socketPath");
        if (callThreads < 1) {
            throw new IllegalArgumentException("callThreads must be at least 1, got " + callThreads);
        }
        if (maxRequestBytes < 1024) {
            throw new IllegalArgumentException("maxRequestBytes must be at least 1024, got " + maxRequestBytes);
        }
        socketGroup = socketGroup == null ? "" : socketGroup;
        listener = listener == null ? PluginCallListener.NONE : listener;
    }

    /** {@code /run/docker/plugins/jweave.sock}, 4 call threads, 1 MiB requests, no listener. */
    public static PluginServerConfig defaults() {
        return new PluginServerConfig(DEFAULT_SOCKET_PATH, DEFAULT_CALL_THREADS, DEFAULT_MAX_REQUEST_BYTES,
                "", PluginCallListener.NONE);
    }

    public PluginServerConfig withSocketPath(Path path) {
        return new PluginServerConfig(path, callThreads, maxRequestBytes, socketGroup, listener);
    }

    public PluginServerConfig withCallThreads(int threads) {
        return new PluginServerConfig(socketPath, threads, maxRequestBytes, socketGroup, listener);
    }

    public PluginServerConfig withMaxRequestBytes(int bytes) {
        return new PluginServerConfig(socketPath, callThreads, bytes, socketGroup, listener);
    }

    public PluginServerConfig withSocketGroup(String group) {
        return new PluginServerConfig(socketPath, callThreads, maxRequestBytes, group, listener);
    }

    public PluginServerConfig withListener(PluginCallListener callListener) {
        return new PluginServerConfig(socketPath, callThreads, maxRequestBytes, socketGroup, callListener);
    }
}
