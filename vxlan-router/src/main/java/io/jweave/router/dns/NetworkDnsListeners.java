package io.jweave.router.dns;

import io.jweave.netlink.Address;
import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.Link;
import io.jweave.netlink.MacAddress;
import io.jweave.netlink.NetNs;
import io.jweave.netlink.Route;
import io.jweave.netlink.sys.Sys;
import io.jweave.router.datapath.Datapath;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes jweave's DNS server reachable from the containers of every local jweave network, at the
 * same link-local address on every network of every host ({@code --dns-address}, 169.254.53.53).
 *
 * <p>In each network's namespace (see {@link Datapath}): the address as a /32 on the bridge, a
 * route to each of the network's subnets through the bridge (so replies reach the containers; the
 * bridge has no address in the subnet), a fixed MAC on the bridge (a bridge otherwise takes the
 * lowest MAC of its ports, which changes as containers come and go and would leave containers'
 * ARP caches pointing nowhere), and a UDP+TCP listener of the DNS server bound there. The VXLAN
 * device answers ARP by proxy from its static entries only, so a container's ARP for the DNS
 * address never leaves its host: each container talks to its own host's router.
 *
 * <p>Level-triggered: a pass compares the networks that should have a listener with those that
 * have one (including whether the namespace is still the same one) and fixes the difference; it
 * runs at start, on every state change, and every {@link #PASS_SECONDS} s.
 */
public final class NetworkDnsListeners implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkDnsListeners.class);
    static final long PASS_SECONDS = 2;

    /** A local network that should have a listener. */
    public record Network(int vni, String name, String subnet) {
    }

    /** A listener as {@code jweave status} shows it. */
    public record Info(String network, int vni, String address) {
    }

    private record Active(String name, NetNs ns, DnsServer.Listener listener) {
    }

    private final Datapath datapath;
    private final DnsServer server;
    private final Inet4Address address;
    private final Supplier<List<Network>> networks;
    private final Map<Integer, Active> active = new HashMap<>();
    private final ScheduledExecutorService worker;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final Map<Integer, Long> failedAt = new HashMap<>();

    public NetworkDnsListeners(Datapath datapath, DnsServer server, Inet4Address address, Supplier<List<Network>> networks) {
        this.datapath = datapath;
        this.server = server;
        this.address = address;
        this.networks = networks;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jweave-dns-listeners");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        worker.scheduleWithFixedDelay(this::trigger, 0, PASS_SECONDS, TimeUnit.SECONDS);
    }

    /** Asks for a pass soon (bursts collapse into one). */
    public void trigger() {
        if (pending.compareAndSet(false, true)) {
            try {
                worker.execute(this::pass);
            } catch (RejectedExecutionException e) {
                pending.set(false);
            }
        }
    }

    private synchronized void pass() {
        pending.set(false);
        List<Network> want;
        try {
            want = networks.get();
        } catch (RuntimeException e) {
            LOG.debug("dns listeners: networks not known yet ({})", e.toString());
            return;
        }
        Map<Integer, Network> byVni = new HashMap<>();
        for (Network n : want) {
            if (n.name() != null) {
                byVni.merge(n.vni(), n, (a, b) -> a);
            }
        }
        for (Integer vni : new HashSet<>(active.keySet())) {
            Active a = active.get(vni);
            Network n = byVni.get(vni);
            NetNs current = datapath.namespace(vni).map(Datapath.NetworkNamespace::ns).orElse(null);
            if (n == null || !n.name().equals(a.name()) || current != a.ns() || a.ns().isClosed()) {
                stop(vni, a);
            }
        }
        for (Network n : byVni.values()) {
            if (active.containsKey(n.vni())) {
                continue;
            }
            Long failed = failedAt.get(n.vni());
            if (failed != null && System.nanoTime() - failed < TimeUnit.SECONDS.toNanos(10)) {
                continue;
            }
            datapath.namespace(n.vni()).ifPresent(ns -> attach(n, ns));
        }
    }

    private void attach(Network n, Datapath.NetworkNamespace ns) {
        try {
            prepare(ns.handle(), n);
            InetSocketAddress bind = new InetSocketAddress(address, 53);
            DnsServer.Listener l = ns.ns().call(() -> server.listen(n.name(), bind));
            active.put(n.vni(), new Active(n.name(), ns.ns(), l));
            failedAt.remove(n.vni());
            LOG.info("dns: listening on {}:53 (udp, tcp) in network {} (vni {})", address.getHostAddress(), n.name(), n.vni());
        } catch (RuntimeException e) {
            failedAt.put(n.vni(), System.nanoTime());
            LOG.warn("dns: cannot serve network {} (vni {}) at {}: {} (retrying in 10 s)", n.name(), n.vni(),
                    address.getHostAddress(), e.getMessage());
        }
    }

    /** Address, routes and bridge MAC in the network's namespace (idempotent). */
    private void prepare(Handle h, Network n) {
        Link br = h.links().byName(Datapath.BRIDGE)
                .orElseThrow(() -> new IllegalStateException("no bridge " + Datapath.BRIDGE + " in the network's namespace"));
        MacAddress mac = bridgeMac(n.vni());
        if (!mac.equals(br.mac())) {
            h.links().setMac(Datapath.BRIDGE, mac);
        }
        IpPrefix host = new IpPrefix(address, 32);
        boolean hasAddress = false;
        for (Address a : h.addresses().list(Datapath.BRIDGE)) {
            hasAddress |= a.prefix().equals(host);
        }
        if (!hasAddress) {
            h.addresses().add(Datapath.BRIDGE, host);
        }
        if (n.subnet() != null && !n.subnet().isEmpty()) {
            IpPrefix subnet = IpPrefix.parse(n.subnet());
            boolean hasRoute = false;
            for (Route r : h.routes().list(Sys.AF_INET)) {
                hasRoute |= subnet.equals(r.destination()) && r.linkIndex() == br.index();
            }
            if (!hasRoute) {
                h.routes().add(Route.connected(subnet, br.index()));
            }
        }
    }

    /** {@code 02:6a:77} + the VNI: locally administered, never a container's ({@code 02:42:...}). */
    static MacAddress bridgeMac(int vni) {
        return new MacAddress(new byte[] {0x02, 0x6a, 0x77, (byte) (vni >>> 16), (byte) (vni >>> 8), (byte) vni});
    }

    private void stop(int vni, Active a) {
        active.remove(vni);
        try {
            a.listener().close();
        } catch (RuntimeException e) {
            LOG.debug("dns: closing the listener of {}: {}", a.name(), e.toString());
        }
        LOG.info("dns: stopped listening in network {} (vni {})", a.name(), vni);
    }

    /** The listeners now. */
    public synchronized List<Info> listeners() {
        List<Info> out = new ArrayList<>();
        active.forEach((vni, a) -> out.add(new Info(a.name(), vni, address.getHostAddress() + ":53")));
        out.sort((x, y) -> x.network().compareTo(y.network()));
        return out;
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Integer vni : new HashSet<>(active.keySet())) {
                stop(vni, active.get(vni));
            }
        }
    }
}
