package io.jweave.router.docker;

import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.Network;
import java.io.Closeable;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the router's view of the local dockerd's jweave networks current, off every plugin
 * request: lists them at start and after every network event (level-triggered, so a missed event
 * only delays, never loses, a change), and reconnects with back-off when dockerd goes away.
 */
public final class DockerWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DockerWatcher.class);

    private final DockerEngine docker;
    private final Consumer<Map<String, DockerNetwork>> onNetworks;
    private final Consumer<Event> onContainerEvent;
    private final Runnable onStreamStart;
    private final Thread thread;
    private final Object wake = new Object();
    private volatile boolean running = true;
    private volatile boolean dirty = true;
    private volatile Closeable stream;
    private volatile boolean streamEnded = true;

    /**
     * @param onNetworks       receives the full map (Docker network ID → network) after each change
     * @param onContainerEvent receives container events (start, die, ...) and network connect/disconnect events
     */
    public DockerWatcher(DockerEngine docker, Consumer<Map<String, DockerNetwork>> onNetworks,
                         Consumer<Event> onContainerEvent) {
        this(docker, onNetworks, onContainerEvent, () -> { });
    }

    /**
     * As above; {@code onStreamStart} runs each time the event stream (re)starts, when events may
     * have been missed (DNS names resync then).
     */
    public DockerWatcher(DockerEngine docker, Consumer<Map<String, DockerNetwork>> onNetworks,
                         Consumer<Event> onContainerEvent, Runnable onStreamStart) {
        this.docker = docker;
        this.onNetworks = onNetworks;
        this.onContainerEvent = onContainerEvent;
        this.onStreamStart = onStreamStart;
        this.thread = new Thread(this::loop, "jweave-docker-watcher");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Asks for a fresh listing soon (e.g. after the router itself created a network). */
    public void poke() {
        dirty = true;
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    private void loop() {
        long backoff = 200;
        while (running) {
            try {
                if (streamEnded) {
                    if (!docker.ping()) {
                        throw new IOException("dockerd at " + docker.host() + " does not answer");
                    }
                    streamEnded = false;
                    stream = docker.events(this::onEvent, t -> {
                        if (running) {
                            LOG.info("docker event stream ended{}; reconnecting", t == null ? "" : ": " + t.getMessage());
                        }
                        streamEnded = true;
                        poke();
                    });
                    dirty = true;
                    LOG.info("watching dockerd at {}", docker.host());
                    onStreamStart.run();
                }
                if (dirty) {
                    dirty = false;
                    onNetworks.accept(list());
                }
                backoff = 200;
                synchronized (wake) {
                    if (!dirty && !streamEnded && running) {
                        wake.wait(30_000); // also a periodic resync
                        dirty = true;
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                streamEnded = true;
                if (!running) {
                    return;
                }
                LOG.debug("docker watcher: {}; retrying in {} ms", e.getMessage(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 5_000);
            }
        }
    }

    private void onEvent(Event e) {
        if (e.getType() == EventType.NETWORK) {
            poke();
            String action = e.getAction();
            if ("connect".equals(action) || "disconnect".equals(action)) {
                onContainerEvent.accept(e);
            }
        } else if (e.getType() == EventType.CONTAINER) {
            onContainerEvent.accept(e);
        }
    }

    /** The local dockerd's jweave networks, by Docker network ID. */
    public Map<String, DockerNetwork> list() {
        Map<String, DockerNetwork> out = new LinkedHashMap<>();
        for (Network n : docker.jweaveNetworks()) {
            String subnet = null;
            String gw = null;
            if (n.getIpam() != null && n.getIpam().getConfig() != null && !n.getIpam().getConfig().isEmpty()) {
                subnet = n.getIpam().getConfig().get(0).getSubnet();
                gw = n.getIpam().getConfig().get(0).getGateway();
            }
            out.put(n.getId(), new DockerNetwork(n.getId(), n.getName(), subnet, gw, n.getOptions(), n.getLabels()));
        }
        return out;
    }

    @Override
    public void close() {
        running = false;
        Closeable s = stream;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing the event stream: {}", e.toString());
            }
        }
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
