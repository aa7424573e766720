package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.sys.Errno;
import io.jweave.netlink.sys.Sys;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers kernel notifications to a listener on a thread of its own until closed. The reader
 * thread owns the socket and closes it itself, so no descriptor is ever read after close.
 */
public final class Subscription implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Subscription.class);
    private static final int POLL_MILLIS = 200;

    private final NetlinkSocket sock;
    private final Consumer<NetlinkEvent> listener;
    private final Thread reader;
    private volatile boolean running = true;

    Subscription(NetlinkSocket sock, Consumer<NetlinkEvent> listener, String name) {
        this.sock = sock;
        this.listener = listener;
        this.reader = new Thread(this::loop, "netlink-events-" + name);
        this.reader.setDaemon(true);
    }

    static long bitmap(java.util.Set<NetlinkEvent.Group> groups) {
        long b = 0;
        for (NetlinkEvent.Group g : groups) {
            b |= 1L << g.number;
        }
        return b;
    }

    static int pollMillis() {
        return POLL_MILLIS;
    }

    void start() {
        reader.start();
    }

    private void loop() {
        try {
            while (running) {
                java.util.List<NlMsg> msgs;
                try {
                    msgs = sock.receiveNotifications();
                } catch (NetlinkException e) {
                    if (e.errno() == Errno.ENOBUFS) {
                        deliver(new NetlinkEvent.Overrun());
                        continue;
                    }
                    throw e;
                }
                for (NlMsg m : msgs) {
                    NetlinkEvent ev = decode(m);
                    if (ev != null && running) {
                        deliver(ev);
                    }
                }
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.error("netlink event reader stopped: {}", e.toString());
            }
        } finally {
            sock.close();
        }
    }

    private void deliver(NetlinkEvent ev) {
        try {
            listener.accept(ev);
        } catch (RuntimeException e) {
            LOG.warn("netlink event listener failed on {}: {}", ev, e.toString());
        }
    }

    private static NetlinkEvent decode(NlMsg m) {
        switch (m.type()) {
            case RTM_NEWLINK, RTM_DELLINK -> {
                return new NetlinkEvent.LinkChanged(m.type() == RTM_DELLINK, Links.parse(m));
            }
            case RTM_NEWNEIGH, RTM_DELNEIGH -> {
                boolean removed = m.type() == RTM_DELNEIGH;
                if (NdMsg.family(m) == Sys.AF_BRIDGE) {
                    FdbEntry e = Fdb.parse(m);
                    return e == null ? null : new NetlinkEvent.FdbChanged(removed, e);
                }
                Neighbour n = Neighbours.parse(m);
                return n == null ? null : new NetlinkEvent.NeighbourChanged(removed, n);
            }
            default -> {
                return null;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (Thread.currentThread() != reader) {
            try {
                reader.join(POLL_MILLIS * 5L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
