package io.jweave.router.dns;

import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.Link;
import io.jweave.netlink.MacAddress;
import io.jweave.netlink.NetNs;
import io.jweave.netlink.Route;
import io.jweave.netlink.sys.Sys;
import io.jweave.plugin.StaticRoute;
import io.jweave.router.state.EndpointRecord;
import io.jweave.router.state.StateStore;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The route that takes a container's DNS queries to jweave's DNS address: a CONNECTED
 * {@code <dns-address>/32} route through the container's jweave interface, given in Join.
 *
 * <p>A sandbox gets it once: Docker fails a Join whose interface route already exists in the
 * sandbox, so only the first jweave endpoint of a sandbox gets it (checked in the sandbox itself,
 * which is also right after a router restart). When that endpoint goes while the sandbox keeps
 * another jweave endpoint, the route went with its interface: it is re-added through the remaining
 * interface (found by its MAC) by entering the sandbox, off the request path.
 */
public final class ContainerDnsRoute implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerDnsRoute.class);
    private static final long READD_DEADLINE_MS = 5_000;

    private final IpPrefix route;
    private final StateStore state;
    /** Endpoint → the sandbox it left (Leave clears the record's sandbox before DeleteEndpoint). */
    private final Map<String, String> leftSandbox = new ConcurrentHashMap<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jweave-dns-route");
        t.setDaemon(true);
        return t;
    });

    public ContainerDnsRoute(Inet4Address dnsAddress, StateStore state) {
        this.route = new IpPrefix(dnsAddress, 32);
        this.state = state;
    }

    /** jweave's DNS address, which no jweave subnet may hold. */
    public Inet4Address address() {
        return (Inet4Address) route.address();
    }

    /** The static routes for Join of {@code e} into {@code sandboxKey}: the DNS route, unless the sandbox has it. */
    public List<StaticRoute> forJoin(EndpointRecord e, String sandboxKey) {
        StaticRoute r = StaticRoute.connected(route.toString());
        if (sandboxKey == null || sandboxKey.isEmpty()) {
            return List.of(r);
        }
        boolean unknownSandbox = false;
        for (EndpointRecord other : state.endpoints()) {
            if (other.endpointId().equals(e.endpointId())) {
                continue;
            }
            if (sandboxKey.equals(other.sandboxKey())) {
                return List.of(); // another jweave endpoint of this sandbox has it
            }
            unknownSandbox |= other.sandboxKey() == null;
        }
        if (!unknownSandbox) {
            // Every other endpoint's sandbox is known and none is this one: the route can only be there
            // through one of our interfaces, so it is not. Only when a record cannot tell (a restart lost
            // an unsaved sandbox key, an endpoint between CreateEndpoint/Leave and Join/DeleteEndpoint)
            // is the sandbox itself looked at: that costs a namespace entry and a route dump on Join.
            return List.of(r);
        }
        try {
            if (sandboxHasRoute(Path.of(sandboxKey))) {
                return List.of();
            }
        } catch (RuntimeException ex) {
            LOG.debug("dns route: cannot look into sandbox {} ({}); giving the route", sandboxKey, ex.getMessage());
        }
        return List.of(r);
    }

    private boolean sandboxHasRoute(Path sandbox) {
        Optional<NetNs> opened = openSandbox(sandbox);
        if (opened.isEmpty()) {
            return false;
        }
        try (NetNs ns = opened.get(); Handle h = Handle.open(ns)) {
            return h.routes().list(Sys.AF_INET).stream().anyMatch(r -> route.equals(r.destination()));
        }
    }

    /**
     * The sandbox's network namespace. Docker's SandboxKey is a bind mount made by dockerd; when
     * dockerd runs in a mount namespace of its own (a private or slave one, as in the test bed, or
     * under some service managers), the mount is not visible here and the path is an empty file:
     * then it is looked up in the mount namespace of each running dockerd ({@code /proc/PID/root}).
     */
    /** The /proc entry of the dockerd whose mount namespace held the last sandbox found that way. */
    private static volatile Path lastDockerd;

    static Optional<NetNs> openSandbox(Path key) {
        Optional<NetNs> direct = openNs(key);
        if (direct.isPresent()) {
            return direct;
        }
        Path last = lastDockerd;
        if (last != null && isDockerd(last)) {
            Optional<NetNs> ns = openNs(Path.of(last + "/root" + key));
            if (ns.isPresent()) {
                return ns;
            }
        }
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                if (!p.getFileName().toString().chars().allMatch(Character::isDigit) || !isDockerd(p)) {
                    continue;
                }
                Optional<NetNs> ns = openNs(Path.of(p + "/root" + key));
                if (ns.isPresent()) {
                    lastDockerd = p;
                    return ns;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debug("dns route: cannot look for dockerd in /proc: {}", e.toString());
        }
        return Optional.empty();
    }

    private static boolean isDockerd(Path proc) {
        try {
            return Files.readString(proc.resolve("comm")).trim().equals("dockerd");
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private static Optional<NetNs> openNs(Path p) {
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        NetNs ns = null;
        try {
            ns = NetNs.open(p);
            ns.call(() -> null); // an empty file, not a namespace, fails here
            return Optional.of(ns);
        } catch (RuntimeException e) {
            if (ns != null) {
                ns.close();
            }
            return Optional.empty();
        }
    }

    /** Leave: remember the sandbox the endpoint was in. */
    public void left(EndpointRecord e) {
        if (e.sandboxKey() != null && !e.sandboxKey().isEmpty()) {
            leftSandbox.put(e.endpointId(), e.sandboxKey());
        }
    }

    /** DeleteEndpoint: if the sandbox it was in keeps another jweave interface, make sure the route goes through it. */
    public void deleted(EndpointRecord e) {
        String sandbox = leftSandbox.remove(e.endpointId());
        if (sandbox == null) {
            sandbox = e.sandboxKey();
        }
        if (sandbox == null || sandbox.isEmpty()) {
            return;
        }
        String sb = sandbox;
        MacAddress gone = MacAddress.parse(e.mac());
        try {
            worker.execute(() -> keepRoute(Path.of(sb), gone));
        } catch (RejectedExecutionException ex) {
            LOG.debug("dns route: shutting down");
        }
    }

    /**
     * Until the route exists through a jweave interface other than the one that went (or the
     * sandbox is gone, or it has no other jweave interface): wait for the old interface to leave,
     * then add the route through a remaining one.
     */
    private void keepRoute(Path sandbox, MacAddress gone) {
        long deadline = System.currentTimeMillis() + READD_DEADLINE_MS;
        while (System.currentTimeMillis() < deadline) {
            Optional<NetNs> opened = openSandbox(sandbox);
            if (opened.isEmpty()) {
                return; // the sandbox is gone (the container stopped)
            }
            try (NetNs ns = opened.get(); Handle h = Handle.open(ns)) {
                List<Link> links = h.links().list();
                Optional<Route> existing = h.routes().list(Sys.AF_INET).stream()
                        .filter(r -> route.equals(r.destination())).findFirst();
                boolean oldStillThere = links.stream().anyMatch(l -> gone.equals(l.mac()));
                if (existing.isPresent()) {
                    int idx = existing.get().linkIndex();
                    boolean throughOld = links.stream().anyMatch(l -> l.index() == idx && gone.equals(l.mac()));
                    if (!throughOld) {
                        return; // already through a remaining interface
                    }
                } else if (!oldStillThere) {
                    Optional<Link> other = links.stream().filter(this::isJweaveInterface).findFirst();
                    if (other.isEmpty()) {
                        return; // no jweave interface left in the sandbox
                    }
                    h.routes().add(Route.connected(route, other.get().index()));
                    LOG.info("dns route: {} now through {} in sandbox {}", route, other.get().name(), sandbox);
                    return;
                }
            } catch (RuntimeException ex) {
                LOG.debug("dns route: sandbox {}: {}", sandbox, ex.getMessage());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                return;
            }
        }
        LOG.warn("dns route: gave up re-adding {} in sandbox {} after {} ms", route, sandbox, READD_DEADLINE_MS);
    }

    /** Whether a link of a sandbox is one of this router's endpoints (by MAC). */
    private boolean isJweaveInterface(Link l) {
        if (l.mac() == null) {
            return false;
        }
        for (EndpointRecord e : state.endpoints()) {
            try {
                if (MacAddress.parse(e.mac()).equals(l.mac())) {
                    return true;
                }
            } catch (IllegalArgumentException ex) {
                // not a MAC we can compare
            }
        }
        return false;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
