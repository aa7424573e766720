package io.jweave.netlink;

import io.jweave.netlink.nft.Nftables;
import io.jweave.netlink.nl.NetlinkSocket;
import java.util.Set;
import java.util.function.Consumer;

/**
 * rtnetlink bound to one network namespace: every operation through this handle acts in that
 * namespace, from whatever thread it is called. Not a pool: one socket, calls are serialised.
 *
 * <pre>
 * try (NetNs ns = NetNs.create("t1"); Handle h = Handle.open(ns)) {
 *     Link br = h.links().add(new LinkSpec("br0", new LinkType.Bridge()));
 *     h.links().setUp("br0");
 * }
 * </pre>
 */
public final class Handle implements AutoCloseable {
    private final NetlinkSocket sock;
    private final NetNs namespace;
    private final Links links;
    private final Addresses addresses;
    private final Neighbours neighbours;
    private final Fdb fdb;
    private final Routes routes;
    private final Rules rules;
    private Nftables nftables;

    private Handle(NetlinkSocket sock, NetNs namespace) {
        this.sock = sock;
        this.namespace = namespace;
        this.links = new Links(sock, namespace);
        this.addresses = new Addresses(sock, links);
        this.neighbours = new Neighbours(sock);
        this.fdb = new Fdb(sock);
        this.routes = new Routes(sock);
        this.rules = new Rules(sock);
    }

    /** A handle for the namespace of the calling thread (normally the process's own). */
    public static Handle open() {
        return new Handle(NetlinkSocket.open(), null);
    }

    /** A handle for {@code ns}; the namespace must stay open while the handle is used for taps. */
    public static Handle open(NetNs ns) {
        return new Handle(ns.call(NetlinkSocket::open), ns);
    }

    public Links links() {
        return links;
    }

    public Addresses addresses() {
        return addresses;
    }

    public Neighbours neighbours() {
        return neighbours;
    }

    public Fdb fdb() {
        return fdb;
    }

    public Routes routes() {
        return routes;
    }

    public Rules rules() {
        return rules;
    }

    /**
     * nftables of this handle's namespace, over a NETLINK_NETFILTER socket opened on first use
     * and closed with the handle.
     */
    public synchronized Nftables nftables() {
        if (sock.isClosed()) {
            throw new IllegalStateException("netlink socket is closed");
        }
        if (nftables == null) {
            nftables = namespace == null ? Nftables.open() : Nftables.open(namespace);
        }
        return nftables;
    }

    /** The namespace this handle acts in, or null for the caller's own. */
    public NetNs namespace() {
        return namespace;
    }

    /**
     * Subscribes {@code listener} to link and/or neighbour events of this handle's namespace.
     * Events arrive on a dedicated thread; close the subscription to stop them.
     */
    public Subscription subscribe(Set<NetlinkEvent.Group> groups, Consumer<NetlinkEvent> listener) {
        long bitmap = Subscription.bitmap(groups);
        NetlinkSocket s = namespace == null
                ? NetlinkSocket.open(bitmap, Subscription.pollMillis())
                : namespace.call(() -> NetlinkSocket.open(bitmap, Subscription.pollMillis()));
        Subscription sub = new Subscription(s, listener, namespace == null ? "self" : namespace.path());
        sub.start();
        return sub;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (nftables != null) {
                nftables.close();
            }
        }
        sock.close();
    }
}
