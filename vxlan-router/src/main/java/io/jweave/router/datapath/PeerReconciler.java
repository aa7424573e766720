package io.jweave.router.datapath;

import io.jweave.netlink.FdbEntry;
import io.jweave.netlink.Handle;
import io.jweave.netlink.MacAddress;
import io.jweave.netlink.Neighbour;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Level-triggered programming of remote endpoints: given every endpoint that lives on another
 * host, makes each local network's VXLAN device hold exactly one permanent neighbour entry
 * (IP → MAC, answered by the device's ARP proxy) and one FDB entry (MAC → remote VTEP) per remote
 * endpoint of that network, and nothing else. It reads what the kernel has (a dump), computes
 * the difference and applies it in batches, so the same call is right at start-up, after a
 * restart, after a partition heals, and on every change; no event needs to have been seen.
 */
public final class PeerReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(PeerReconciler.class);

    /** An endpoint on another host, as the mesh describes it. */
    public record RemoteEndpoint(int vni, InetAddress ip, MacAddress mac, InetAddress vtep) {
    }

    /** What one pass changed. */
    public record Result(int added, int removed, int networks) {
        public boolean changed() {
            return added + removed > 0;
        }
    }

    private final Datapath datapath;

    public PeerReconciler(Datapath datapath) {
        this.datapath = datapath;
    }

    /** One reconciliation pass over every network this host has a datapath for. */
    public Result reconcile(List<RemoteEndpoint> remote) {
        return reconcile(remote, null);
    }

    /**
     * One reconciliation pass over the networks {@code vnis} (all networks with a datapath when
     * {@code null}). A network left out is not touched: its desired state is not known yet, and an
     * empty list would unprogram it.
     */
    public synchronized Result reconcile(List<RemoteEndpoint> remote, java.util.Set<Integer> vnis) {
        Map<Integer, List<RemoteEndpoint>> byVni = new HashMap<>();
        for (RemoteEndpoint e : remote) {
            byVni.computeIfAbsent(e.vni(), k -> new ArrayList<>()).add(e);
        }
        int added = 0;
        int removed = 0;
        int networks = 0;
        for (int vni : datapath.vnis()) {
            if (vnis != null && !vnis.contains(vni)) {
                continue;
            }
            Datapath.VxlanPort port = datapath.vxlanPort(vni).orElse(null);
            if (port == null) {
                continue;
            }
            networks++;
            int[] d = reconcileNetwork(port, byVni.getOrDefault(vni, List.of()));
            added += d[0];
            removed += d[1];
        }
        return new Result(added, removed, networks);
    }

    private static int[] reconcileNetwork(Datapath.VxlanPort port, List<RemoteEndpoint> wanted) {
        Handle h = port.handle();
        int vx = port.ifindex();
        Map<InetAddress, MacAddress> wantNeigh = new HashMap<>();
        Map<MacAddress, InetAddress> wantFdb = new HashMap<>();
        for (RemoteEndpoint e : wanted) {
            wantNeigh.put(e.ip(), e.mac());
            wantFdb.put(e.mac(), e.vtep());
        }
        Map<InetAddress, MacAddress> haveNeigh = new HashMap<>();
        for (Neighbour n : h.neighbours().list(vx)) {
            if (n.isPermanent()) {
                haveNeigh.put(n.ip(), n.mac());
            }
        }
        Map<MacAddress, InetAddress> haveFdb = new HashMap<>();
        for (FdbEntry f : h.fdb().list(vx)) {
            if (f.isSelf() && f.dst() != null && !isZero(f.mac())) {
                haveFdb.put(f.mac(), f.dst());
            }
        }
        List<FdbEntry> fdbPut = new ArrayList<>();
        List<FdbEntry> fdbDel = new ArrayList<>();
        List<Neighbour> neighPut = new ArrayList<>();
        List<Neighbour> neighDel = new ArrayList<>();
        wantFdb.forEach((mac, vtep) -> {
            if (!vtep.equals(haveFdb.get(mac))) {
                if (haveFdb.containsKey(mac)) {
                    // A VXLAN FDB entry is keyed by MAC and destination: drop the old destination.
                    fdbDel.add(FdbEntry.vxlan(vx, mac, haveFdb.get(mac)));
                }
                fdbPut.add(FdbEntry.vxlan(vx, mac, vtep));
            }
        });
        haveFdb.forEach((mac, vtep) -> {
            if (!wantFdb.containsKey(mac)) {
                fdbDel.add(FdbEntry.vxlan(vx, mac, vtep));
            }
        });
        wantNeigh.forEach((ip, mac) -> {
            if (!Objects.equals(mac, haveNeigh.get(ip))) {
                neighPut.add(Neighbour.permanent(vx, ip, mac));
            }
        });
        haveNeigh.forEach((ip, mac) -> {
            if (!wantNeigh.containsKey(ip)) {
                neighDel.add(Neighbour.permanent(vx, ip, mac));
            }
        });
        if (!fdbDel.isEmpty()) {
            h.fdb().deleteAll(fdbDel);
        }
        if (!neighDel.isEmpty()) {
            h.neighbours().deleteAll(neighDel);
        }
        if (!fdbPut.isEmpty()) {
            h.fdb().replaceAll(fdbPut);
        }
        if (!neighPut.isEmpty()) {
            h.neighbours().replaceAll(neighPut);
        }
        int added = Math.max(fdbPut.size(), neighPut.size());
        int removed = Math.max(neighDel.size(), fdbDel.size() - countReplaced(fdbDel, wantFdb));
        if (added + removed > 0) {
            LOG.info("network vni {}: remote endpoints programmed: +{} fdb/{} neigh, -{} fdb/{} neigh",
                    port.vni(), fdbPut.size(), neighPut.size(), fdbDel.size(), neighDel.size());
        }
        return new int[] {added, removed};
    }

    private static int countReplaced(List<FdbEntry> deleted, Map<MacAddress, InetAddress> wanted) {
        int n = 0;
        for (FdbEntry f : deleted) {
            if (wanted.containsKey(f.mac())) {
                n++;
            }
        }
        return n;
    }

    private static boolean isZero(MacAddress m) {
        for (byte b : m.bytes()) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
