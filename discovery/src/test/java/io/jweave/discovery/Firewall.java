package io.jweave.discovery;

import com.hazelcast.cluster.Address;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.instance.impl.DefaultNodeContext;
import com.hazelcast.instance.impl.HazelcastInstanceFactory;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.nio.ConnectionListener;
import com.hazelcast.internal.nio.Packet;
import com.hazelcast.internal.server.NetworkStats;
import com.hazelcast.internal.server.Server;
import com.hazelcast.internal.server.ServerConnection;
import com.hazelcast.internal.server.ServerConnectionManager;
import com.hazelcast.internal.server.ServerContext;
import com.hazelcast.internal.server.tcp.LocalAddressRegistry;
import com.hazelcast.internal.server.tcp.ServerSocketRegistry;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Test-only: a member whose links to chosen other members can be cut, so that a real network
 * partition happens inside one JVM (heartbeats stop, both sides declare the other dead, split
 * brain, then merge when the links come back). Wraps Hazelcast's own TCP server; nothing is mocked.
 */
final class Firewall {

    private final Set<Address> blocked = ConcurrentHashMap.newKeySet();
    private final Map<EndpointQualifier, Manager> managers = new ConcurrentHashMap<>();

    /** A Hazelcast factory whose members go through this firewall. */
    Function<Config, HazelcastInstance> factory() {
        return c -> HazelcastInstanceFactory.newHazelcastInstance(c, c.getInstanceName(), new DefaultNodeContext() {
            @Override
            public Server createServer(Node node, ServerSocketRegistry registry, LocalAddressRegistry addresses) {
                return new Guarded(super.createServer(node, registry, addresses));
            }
        });
    }

    void block(Address a) {
        blocked.add(a);
        for (Manager m : managers.values()) {
            for (ServerConnection c : m.delegate.getAllConnections(a)) {
                c.close("test partition", null);
            }
        }
    }

    void unblockAll() {
        blocked.clear();
    }

    private final class Guarded implements Server {
        private final Server delegate;

        Guarded(Server delegate) {
            this.delegate = delegate;
        }

        @Override
        public ServerContext getContext() {
            return delegate.getContext();
        }

        @Override
        public ServerConnectionManager getConnectionManager(EndpointQualifier q) {
            ServerConnectionManager m = delegate.getConnectionManager(q);
            return m == null ? null : managers.computeIfAbsent(q, x -> new Manager(m, this));
        }

        @Override
        public Collection<ServerConnection> getConnections() {
            return delegate.getConnections();
        }

        @Override
        public Map<EndpointQualifier, NetworkStats> getNetworkStats() {
            return delegate.getNetworkStats();
        }

        @Override
        public boolean isLive() {
            return delegate.isLive();
        }

        @Override
        public void start() {
            delegate.start();
        }

        @Override
        public void stop() {
            delegate.stop();
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public void addConnectionListener(ConnectionListener<ServerConnection> l) {
            delegate.addConnectionListener(l);
        }
    }

    private final class Manager implements ServerConnectionManager {
        private final ServerConnectionManager delegate;
        private final Server server;

        Manager(ServerConnectionManager delegate, Server server) {
            this.delegate = delegate;
            this.server = server;
        }

        @Override
        public Collection<ServerConnection> getConnections() {
            return delegate.getConnections();
        }

        @Override
        public boolean register(Address remote, Address target, Collection<Address> aliases, UUID uuid,
                                ServerConnection c, int stream) {
            if (blocked.contains(remote) || blocked.contains(target)) {
                c.close("test partition", null);
                return false;
            }
            return delegate.register(remote, target, aliases, uuid, c, stream);
        }

        @Override
        public ServerConnection get(Address a, int stream) {
            return blocked.contains(a) ? null : delegate.get(a, stream);
        }

        @Override
        public List<ServerConnection> getAllConnections(Address a) {
            return blocked.contains(a) ? List.of() : delegate.getAllConnections(a);
        }

        @Override
        public ServerConnection getOrConnect(Address a, int stream) {
            return blocked.contains(a) ? null : delegate.getOrConnect(a, stream);
        }

        @Override
        public ServerConnection getOrConnect(Address a, boolean silent, int stream) {
            return blocked.contains(a) ? null : delegate.getOrConnect(a, silent, stream);
        }

        @Override
        public boolean transmit(Packet p, Address a, int stream) {
            return !blocked.contains(a) && delegate.transmit(p, a, stream);
        }

        @Override
        public NetworkStats getNetworkStats() {
            return delegate.getNetworkStats();
        }

        @Override
        public Server getServer() {
            return server;
        }

        @Override
        public void accept(Packet p) {
            delegate.accept(p);
        }

        @Override
        public void addConnectionListener(ConnectionListener<ServerConnection> l) {
            delegate.addConnectionListener(l);
        }
    }
}
