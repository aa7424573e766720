package io.jweave.router.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local dockerd's Engine API, as the router uses it: outside every plugin request (Docker
 * holds locks while it waits for a plugin, and its API is not served during its own start-up).
 * Built on docker-java with the Apache HttpClient 5 transport (Unix socket or TCP).
 */
public final class DockerEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DockerEngine.class);
    public static final String DRIVER = "jweave";

    private final String host;
    private final DockerClient client;

    public DockerEngine(String dockerHost) {
        this.host = dockerHost;
        DefaultDockerClientConfig cfg = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost)
                .withDockerTlsVerify(false)
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(cfg.getDockerHost())
                .maxConnections(8)
                .connectionTimeout(Duration.ofSeconds(5))
                .responseTimeout(Duration.ofSeconds(60))
                .build();
        this.client = DockerClientImpl.getInstance(cfg, http);
    }

    public String host() {
        return host;
    }

    /** Whether dockerd answers. */
    public boolean ping() {
        try {
            client.pingCmd().exec();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Networks of the jweave driver. */
    public List<Network> jweaveNetworks() {
        return client.listNetworksCmd().withFilter("driver", List.of(DRIVER)).exec();
    }

    /** Docker network ID → name of the jweave networks. */
    public Map<String, String> jweaveNetworkNames() {
        Map<String, String> out = new java.util.HashMap<>();
        for (Network n : jweaveNetworks()) {
            out.put(n.getId(), n.getName());
        }
        return out;
    }

    public Optional<Network> network(String idOrName) {
        try {
            return Optional.of(client.inspectNetworkCmd().withNetworkId(idOrName).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Creates a jweave network (driver and IPAM both jweave) with an explicit subnet, as the
     * router does on every host for a network created elsewhere in the mesh.
     */
    public String createNetwork(String name, String subnet, String gateway, Map<String, String> driverOptions,
                                Map<String, String> labels) {
        Network.Ipam.Config c = new Network.Ipam.Config().withSubnet(subnet);
        if (gateway != null && !gateway.isEmpty()) {
            c.withGateway(gateway);
        }
        Network.Ipam ipam = new Network.Ipam().withDriver(DRIVER).withConfig(c);
        return client.createNetworkCmd().withName(name).withDriver(DRIVER).withIpam(ipam)
                .withOptions(driverOptions).withLabels(labels).withCheckDuplicate(true).exec().getId();
    }

    public void removeNetwork(String idOrName) {
        try {
            client.removeNetworkCmd(idOrName).exec();
        } catch (NotFoundException e) {
            LOG.debug("network {} already gone", idOrName);
        }
    }

    /**
     * Streams network and container events to {@code listener} until the returned handle is
     * closed; {@code onEnd} runs when the stream ends or fails (the caller reconnects).
     */
    public Closeable events(Consumer<Event> listener, Consumer<Throwable> onEnd) {
        ResultCallback.Adapter<Event> cb = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Event e) {
                try {
                    listener.accept(e);
                } catch (RuntimeException ex) {
                    LOG.warn("docker event handler failed on {} {}: {}", e.getType(), e.getAction(), ex.toString());
                }
            }

            @Override
            public void onError(Throwable t) {
                onEnd.accept(t);
            }

            @Override
            public void onComplete() {
                onEnd.accept(null);
            }
        };
        return client.eventsCmd().withEventTypeFilter(EventType.NETWORK, EventType.CONTAINER).exec(cb);
    }

    /** Ids of the running containers attached to the network {@code networkName}. */
    public List<String> runningContainersOn(String networkName) {
        return client.listContainersCmd().withNetworkFilter(List.of(networkName)).exec().stream()
                .map(com.github.dockerjava.api.model.Container::getId).toList();
    }

    /** A container as {@code docker inspect} shows it; empty if dockerd does not know it (any more). */
    public Optional<ContainerInfo> container(String id) {
        com.github.dockerjava.api.command.InspectContainerResponse r;
        try {
            r = client.inspectContainerCmd(id).exec();
        } catch (NotFoundException e) {
            return Optional.empty();
        }
        Map<String, ContainerInfo.Attachment> nets = new java.util.LinkedHashMap<>();
        if (r.getNetworkSettings() != null && r.getNetworkSettings().getNetworks() != null) {
            r.getNetworkSettings().getNetworks().forEach((name, n) -> nets.put(name,
                    new ContainerInfo.Attachment(n.getNetworkID(), n.getIpAddress(), n.getAliases())));
        }
        String name = r.getName() == null ? "" : r.getName().replaceFirst("^/", "");
        String hostname = r.getConfig() == null || r.getConfig().getHostName() == null ? "" : r.getConfig().getHostName();
        boolean running = r.getState() != null && Boolean.TRUE.equals(r.getState().getRunning());
        return Optional.of(new ContainerInfo(r.getId(), name, hostname, running, nets));
    }

    public DockerClient client() {
        return client;
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            LOG.debug("closing the docker client: {}", e.toString());
        }
    }
}
