package io.jweave.discovery;

import com.hazelcast.cluster.Address;
import com.hazelcast.config.properties.PropertyDefinition;
import com.hazelcast.logging.ILogger;
import com.hazelcast.spi.discovery.DiscoveryNode;
import com.hazelcast.spi.discovery.DiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryStrategyFactory;
import com.hazelcast.spi.discovery.SimpleDiscoveryNode;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hazelcast's member discovery backed by {@link JoinTargets}. Hazelcast's discovery joiner calls
 * {@link DiscoveryStrategy#discoverNodes()} at the initial join and every time the split-brain
 * handler searches for another cluster to merge with (every merge interval), so adding a target
 * makes this member probe it within one interval, and removing one stops that, without a restart.
 * Names are resolved at every call (a peer's address may change); only addresses of the advertise
 * address's family are offered. Nothing else is ever discovered: no multicast, no cloud lookups.
 */
final class PeerDiscovery implements DiscoveryStrategyFactory {
    private static final Logger LOG = LoggerFactory.getLogger(PeerDiscovery.class);

    private final JoinTargets targets;
    private final java.util.function.Supplier<Collection<String>> seen;
    private final boolean ipv4;
    private final Set<String> unresolved = ConcurrentHashMap.newKeySet();

    PeerDiscovery(JoinTargets targets, InetAddress advertise) {
        this(targets, List::of, advertise);
    }

    /**
     * @param seen more {@code host:port} addresses to offer: members this member has seen (so a side
     *             that has no join targets finds the other side again after a partition)
     */
    PeerDiscovery(JoinTargets targets, java.util.function.Supplier<Collection<String>> seen, InetAddress advertise) {
        this.targets = targets;
        this.seen = seen;
        this.ipv4 = advertise instanceof Inet4Address;
    }

    /** The addresses the targets resolve to now. */
    List<DiscoveryNode> nodes() {
        List<DiscoveryNode> out = new ArrayList<>();
        java.util.Set<String> all = new java.util.LinkedHashSet<>(targets.list());
        all.addAll(seen.get());
        for (String t : all) {
            String host = JoinTargets.host(t);
            try {
                for (InetAddress a : InetAddress.getAllByName(host)) {
                    if ((a instanceof Inet4Address) == ipv4) {
                        out.add(new SimpleDiscoveryNode(new Address(a, JoinTargets.port(t))));
                    }
                }
                unresolved.remove(t);
            } catch (UnknownHostException e) {
                if (unresolved.add(t)) {
                    LOG.warn("mesh: peer {} does not resolve ({}); will try again", t, e.getMessage());
                }
            }
        }
        return out;
    }

    @Override
    public Class<? extends DiscoveryStrategy> getDiscoveryStrategyType() {
        return Strategy.class;
    }

    @Override
    public DiscoveryStrategy newDiscoveryStrategy(DiscoveryNode local, ILogger logger, Map<String, Comparable> properties) {
        return new Strategy(this);
    }

    @Override
    public Collection<PropertyDefinition> getConfigurationProperties() {
        return List.of();
    }

    /** The strategy Hazelcast instantiates through the factory. */
    static final class Strategy implements DiscoveryStrategy {
        private final PeerDiscovery discovery;

        Strategy(PeerDiscovery discovery) {
            this.discovery = discovery;
        }

        @Override
        public void start() {
        }

        @Override
        public Iterable<DiscoveryNode> discoverNodes() {
            return discovery.nodes();
        }

        @Override
        public void destroy() {
        }

        @Override
        public Map<String, String> discoverLocalMetadata() {
            return Map.of();
        }
    }
}
