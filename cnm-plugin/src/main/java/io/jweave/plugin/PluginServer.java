package io.jweave.plugin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves Docker's legacy remote plugin API ({@code Plugin.Activate}, {@code NetworkDriver.*},
 * {@code IpamDriver.*}) as HTTP/1.1 on a Unix socket, using Netty's native epoll transport.
 *
 * <p>Life cycle: {@link #start()} once, {@link #close()} once (idempotent). On start the parent
 * directory is created; an existing socket is probed: if a server answers there, start fails with
 * {@link SocketInUseException}; if nobody answers (a crash left it) it is removed; a non-socket file
 * is never touched. The socket is bound under a temporary name next to the final one, given mode
 * 0660 (and the configured group), and then hard-linked into place, so the final path appears only
 * once the server can answer, with its final mode, and never replaces a file that appeared
 * meanwhile. {@link #close()} stops accepting, closes connections, removes the socket file if it is
 * still ours, and stops the threads.
 *
 * <p>Threads: one epoll event loop does all I/O; driver calls run on a small dedicated executor
 * ({@link PluginServerConfig#callThreads()}), so a slow call never stalls other connections.
 */
public final class PluginServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PluginServer.class);

    private enum State { NEW, RUNNING, CLOSED }

    private final NetworkDriver network;
    private final IpamDriver ipam;
    private final PluginServerConfig config;
    private final Path socketPath;

    private State state = State.NEW;
    private EventLoopGroup group;
    private ExecutorService calls;
    private ChannelGroup connections;
    private Channel serverChannel;
    private Object socketFileKey;

    public PluginServer(NetworkDriver network, IpamDriver ipam, PluginServerConfig config) {
        this.network = Objects.requireNonNull(network, "network");
        this.ipam = Objects.requireNonNull(ipam, "ipam");
        this.config = Objects.requireNonNull(config, "config");
        this.socketPath = config.socketPath().toAbsolutePath().normalize();
    }

    /** On {@link PluginServerConfig#DEFAULT_SOCKET_PATH} with default settings. */
    public PluginServer(NetworkDriver network, IpamDriver ipam) {
        this(network, ipam, PluginServerConfig.defaults());
    }

    public Path socketPath() {
        return socketPath;
    }

    public synchronized boolean isRunning() {
        return state == State.RUNNING;
    }

    /**
     * Binds the socket and starts answering.
     *
     * @throws SocketInUseException if another server answers on the path
     * @throws IOException          if the socket cannot be created (path too long, not a socket
     *                              in the way, permissions, no epoll)
     */
    public synchronized void start() throws IOException {
        if (state != State.NEW) {
            throw new IllegalStateException("a PluginServer can be started once; it is " + state);
        }
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty's native epoll transport is unavailable", Epoll.unavailabilityCause());
        }
        if (!PluginSocketFile.fits(socketPath)) {
            throw new IOException("socket path longer than " + PluginSocketFile.MAX_PATH_BYTES + " bytes: " + socketPath);
        }
        Path dir = socketPath.getParent();
        Files.createDirectories(dir);
        PluginSocketFile.clearStale(socketPath);

        // Bind under a private name, secure it, then link it into place (see class comment).
        Path bindPath = dir.resolve("." + socketPath.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        boolean viaLink = PluginSocketFile.fits(bindPath);
        if (!viaLink) {
            bindPath = socketPath;
        } else {
            Files.deleteIfExists(bindPath);
        }

        ObjectMapper mapper = PluginJson.newMapper();
        PluginDispatcher dispatcher = new PluginDispatcher(network, ipam, mapper, config.listener());
        dispatcher.warmUp();
        calls = Executors.newFixedThreadPool(config.callThreads(), callThreadFactory());
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("jweave-plugin-io", true),
                EpollIoHandler.newFactory());
        connections = new DefaultChannelGroup("jweave-plugin-connections", GlobalEventExecutor.INSTANCE);
        int maxRequestBytes = config.maxRequestBytes();
        ExecutorService callExecutor = calls;
        ChannelGroup open = connections;

        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        open.add(ch);
                        ch.pipeline()
                          .addLast("http", new HttpServerCodec())
                          .addLast("aggregate", new PluginHttpHandler.BoundedAggregator(maxRequestBytes))
                          .addLast("plugin", new PluginHttpHandler(dispatcher, callExecutor));
                    }
                });
        try {
            serverChannel = bootstrap.bind(new DomainSocketAddress(bindPath.toString())).sync().channel();
            PluginSocketFile.secure(bindPath, config.socketGroup());
            if (viaLink) {
                try {
                    Files.createLink(socketPath, bindPath);
                } catch (FileAlreadyExistsException e) {
                    throw new SocketInUseException(socketPath);
                } finally {
                    Files.deleteIfExists(bindPath);
                }
            }
            socketFileKey = PluginSocketFile.fileKey(socketPath);
        } catch (IOException | RuntimeException e) {
            shutdownThreads();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdownThreads();
            throw new IOException("interrupted while binding " + socketPath, e);
        } catch (Exception e) {
            // Netty rethrows bind failures (e.g. a native "Address already in use") as they are.
            shutdownThreads();
            throw new IOException("cannot listen on " + socketPath + ": " + e.getMessage(), e);
        }
        state = State.RUNNING;
        log.info("docker plugin API listening on {} (NetworkDriver + IpamDriver, {} call threads)",
                socketPath, config.callThreads());
    }

    /** Stops answering and removes the socket file (if it is still the one this server created). */
    @Override
    public synchronized void close() {
        if (state != State.RUNNING) {
            state = State.CLOSED;
            return;
        }
        state = State.CLOSED;
        serverChannel.close().syncUninterruptibly();
        PluginSocketFile.removeIfOurs(socketPath, socketFileKey);
        connections.close().awaitUninterruptibly();
        shutdownThreads();
        log.info("docker plugin API on {} stopped", socketPath);
    }

    private void shutdownThreads() {
        if (serverChannel != null && serverChannel.isOpen()) {
            serverChannel.close().syncUninterruptibly();
        }
        if (calls != null) {
            calls.shutdown();
            try {
                if (!calls.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("plugin calls still running after 5 s; interrupting them");
                    calls.shutdownNow();
                }
            } catch (InterruptedException e) {
                calls.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static ThreadFactory callThreadFactory() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "jweave-plugin-call-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
