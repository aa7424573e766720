package io.jweave.router.dns;

import java.net.InetSocketAddress;

/** SKELETON: the API is final, the implementation follows. */
public final class DnsServer implements AutoCloseable {
    private final DnsServerConfig config;
    private final DnsRegistry registry;
    private final DnsStats stats = new DnsStats();

    public DnsServer(DnsServerConfig config, DnsRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    /**
     * Binds UDP and TCP on {@code bind} in the network namespace of the calling thread; queries received
     * there are answered with scope {@code registry.scope(network, clientAddress)}.
     *
     * @throws IllegalStateException if the address is taken or cannot be bound
     */
    public Listener listen(String network, InetSocketAddress bind) {
        throw new UnsupportedOperationException("not implemented yet (" + config + registry + network + bind + ")");
    }

    public DnsStats stats() {
        return stats;
    }

    @Override
    public void close() {
    }

    /** UDP and TCP sockets of one network. */
    public interface Listener extends AutoCloseable {
        String network();

        InetSocketAddress address();

        @Override
        void close();
    }
}
