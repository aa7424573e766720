package io.jweave.it;

import io.jweave.it.testbed.RouterProcess;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.Testbed;
import io.jweave.router.status.StatusClient;
import io.jweave.router.status.StatusReport;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What the multi-host tests look at, as a user would: containers and their addresses (through
 * each host's docker CLI), the routers' status ({@code jweave status}), and the remote entries on
 * each network's VXLAN device ({@code bridge fdb} / {@code ip neigh} inside the network's
 * namespace under the router's data directory).
 */
final class MultiHostSupport {
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final Duration CMD = Duration.ofSeconds(20);

    private MultiHostSupport() {
    }

    /** Starts host1's router, then the others (in parallel), each joining through host1. */
    static List<RouterProcess> launchAll(Testbed tb) {
        return launchAll(tb, new String[0]);
    }

    /** As {@link #launchAll(Testbed)}, every router with the launch options {@code extra} too. */
    static List<RouterProcess> launchAll(Testbed tb, String... extra) {
        List<RouterProcess> out = new ArrayList<>();
        out.add(RouterProcess.launch(tb.host(1), extra));
        List<CompletableFuture<RouterProcess>> rest = new ArrayList<>();
        for (SimHost h : tb.hosts().subList(1, tb.hosts().size())) {
            List<String> args = new ArrayList<>(List.of(extra));
            args.add(tb.host(1).underlayIp());
            rest.add(CompletableFuture.supplyAsync(() -> RouterProcess.launch(h, args.toArray(String[]::new))));
        }
        for (CompletableFuture<RouterProcess> f : rest) {
            out.add(f.join());
        }
        return out;
    }

    /** Polls {@code cond} every 100 ms until it holds; fails after {@code timeout}. Returns the time it took. */
    static Duration await(String what, Duration timeout, BooleanSupplier cond) {
        return await(what, timeout, cond, () -> "");
    }

    static Duration await(String what, Duration timeout, BooleanSupplier cond, Supplier<String> why) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            if (cond.getAsBoolean()) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + detail(why.get()));
            }
            sleep(100);
        }
    }

    private static String detail(String s) {
        return s == null || s.isEmpty() ? "" : ":\n" + s;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    // ------------------------------------------------------------------ routers

    static boolean alive(RouterProcess r) {
        return r.process() != null && r.process().isAlive();
    }

    /** The router's own report ({@code jweave status --json}). */
    static StatusReport status(RouterProcess r) {
        try {
            return JSON.readValue(StatusClient.get(r.dataDir(), "/status"), StatusReport.class);
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("status of the router in " + r.dataDir() + ": " + e, e);
        }
    }

    /** Whether {@code r} currently sees exactly {@code up} as the members that are up. */
    static boolean seesUp(RouterProcess r, Collection<String> up) {
        try {
            List<String> now = status(r).peers().stream().filter(p -> p.state().equals("connected"))
                    .map(StatusReport.Peer::name).sorted().toList();
            return now.equals(up.stream().sorted().toList());
        } catch (AssertionError e) {
            return false;
        }
    }

    static int vni(RouterProcess r, String network) {
        return status(r).networks().stream().filter(n -> network.equals(n.name())).findFirst()
                .map(StatusReport.Network::vni)
                .orElseThrow(() -> new AssertionError("router in " + r.dataDir() + " has no network " + network));
    }

    // ------------------------------------------------------------------ containers

    /** A container's attachment to a network, as its host's dockerd reports it. */
    record Endpoint(String host, String vtep, String container, String ip, String mac) {
    }

    /** Every container of {@code host} on {@code network} (running or not). */
    static List<Endpoint> endpoints(SimHost host, String network) {
        Result ids = host.docker(CMD, "ps", "-aq", "--filter", "network=" + network);
        if (!ids.ok()) {
            throw new AssertionError(ids.describe());
        }
        List<Endpoint> out = new ArrayList<>();
        if (ids.out().isBlank()) {
            return out;
        }
        List<String> cmd = new ArrayList<>(List.of("inspect", "--format",
                "{{.Name}} {{(index .NetworkSettings.Networks \"" + network + "\").IPAddress}} {{(index .NetworkSettings.Networks \""
                        + network + "\").MacAddress}}"));
        cmd.addAll(List.of(ids.out().trim().split("\\s+")));
        Result r = host.dockerOk(cmd.toArray(String[]::new));
        for (String line : r.out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) {
                out.add(new Endpoint(host.name(), host.underlayIp(), f[0].replaceFirst("^/", ""), f[1], f[2].toLowerCase()));
            }
        }
        return out;
    }

    static List<Endpoint> endpoints(Collection<SimHost> hosts, String network) {
        List<Endpoint> out = new ArrayList<>();
        for (SimHost h : hosts) {
            out.addAll(endpoints(h, network));
        }
        return out;
    }

    /** Addresses used by more than one container (of {@code network}, across all hosts given). */
    static Map<String, List<String>> duplicateAddresses(List<Endpoint> all) {
        Map<String, List<String>> byIp = new HashMap<>();
        for (Endpoint e : all) {
            byIp.computeIfAbsent(e.ip(), k -> new ArrayList<>()).add(e.host() + "/" + e.container());
        }
        byIp.values().removeIf(l -> l.size() < 2);
        return byIp;
    }

    static boolean pings(SimHost from, String container, String ip) {
        return from.docker(CMD, "exec", container, "ping", "-c", "1", "-W", "1", ip).ok();
    }

    /** Pings until one answer comes back, for up to {@code timeout}. */
    static void awaitPing(SimHost from, String container, String ip, Duration timeout) {
        Result[] last = new Result[1];
        await(from.name() + "/" + container + " pings " + ip, timeout, () -> {
            last[0] = from.docker(CMD, "exec", container, "ping", "-c", "1", "-W", "1", ip);
            return last[0].ok();
        }, () -> last[0] == null ? "" : last[0].describe());
    }

    // ------------------------------------------------------------------ datapath

    /** One remote entry as the kernel holds it on a VXLAN device: FDB (mac → vtep) or neighbour (ip → mac). */
    record Fdb(String mac, String vtep) {
    }

    record Neigh(String ip, String mac) {
    }

    record Entries(List<Fdb> fdb, List<Neigh> neigh) {
    }

    /** The remote entries on network {@code vni}'s VXLAN device of the router {@code r} (sorted; duplicates kept). */
    static Entries entries(SimHost host, RouterProcess r, int vni) {
        String ns = r.dataDir().resolve("netns").resolve("vni-" + vni).toString();
        String dev = "jwvx-" + vni;
        Result fdb = host.exec(CMD, "nsenter", "--net=" + ns, "bridge", "-j", "fdb", "show", "dev", dev);
        Result neigh = host.exec(CMD, "nsenter", "--net=" + ns, "ip", "-j", "neigh", "show", "dev", dev);
        if (!fdb.ok() || !neigh.ok()) {
            throw new AssertionError("cannot read the VXLAN entries of vni " + vni + " on " + host.name() + ": "
                    + fdb.describe() + " / " + neigh.describe());
        }
        List<Fdb> f = new ArrayList<>();
        for (JsonNode n : parse(fdb.out())) {
            String mac = n.path("mac").asText("");
            if (n.has("dst") && !mac.equals("00:00:00:00:00:00")) {
                f.add(new Fdb(mac.toLowerCase(), n.path("dst").asText()));
            }
        }
        List<Neigh> nb = new ArrayList<>();
        for (JsonNode n : parse(neigh.out())) {
            if (n.has("lladdr")) {
                nb.add(new Neigh(n.path("dst").asText(), n.path("lladdr").asText().toLowerCase()));
            }
        }
        f.sort((a, b) -> (a.mac() + a.vtep()).compareTo(b.mac() + b.vtep()));
        nb.sort((a, b) -> (a.ip() + a.mac()).compareTo(b.ip() + b.mac()));
        return new Entries(f, nb);
    }

    private static JsonNode parse(String s) {
        try {
            return s.isBlank() ? JSON.createArrayNode() : JSON.readTree(s);
        } catch (IOException e) {
            throw new AssertionError("unreadable JSON from iproute2: " + s, e);
        }
    }

    /** What {@code host} should hold for {@code network}: exactly the endpoints of the other hosts. */
    static Entries expected(SimHost host, List<Endpoint> all) {
        List<Fdb> f = new ArrayList<>();
        List<Neigh> n = new ArrayList<>();
        for (Endpoint e : all) {
            if (!e.host().equals(host.name())) {
                f.add(new Fdb(e.mac(), e.vtep()));
                n.add(new Neigh(e.ip(), e.mac()));
            }
        }
        f.sort((a, b) -> (a.mac() + a.vtep()).compareTo(b.mac() + b.vtep()));
        n.sort((a, b) -> (a.ip() + a.mac()).compareTo(b.ip() + b.mac()));
        return new Entries(f, n);
    }

    /**
     * Empty when every host's VXLAN device of {@code network} holds exactly the endpoints of the
     * other hosts (one FDB and one neighbour entry each, nothing else); else what differs.
     */
    static Optional<String> datapathMismatch(List<SimHost> hosts, List<RouterProcess> routers, String network) {
        List<Endpoint> all = endpoints(hosts, network);
        StringBuilder sb = new StringBuilder();
        // the VNI is the network's, the same on every host; a router that is down cannot tell it
        Integer anyVni = null;
        for (RouterProcess r : routers) {
            if (alive(r)) {
                anyVni = vni(r, network);
                break;
            }
        }
        for (int i = 0; i < hosts.size(); i++) {
            SimHost h = hosts.get(i);
            int vni = alive(routers.get(i)) || anyVni == null ? vni(routers.get(i), network) : anyVni;
            if (anyVni != null && vni != anyVni) {
                sb.append(h.name()).append(": network ").append(network).append(" has vni ").append(vni)
                        .append(", elsewhere ").append(anyVni).append('\n');
            }
            Entries want = expected(h, all);
            Entries have = entries(h, routers.get(i), vni);
            if (!want.equals(have)) {
                sb.append(h.name()).append(" vni ").append(vni).append(": want ").append(want)
                        .append("\n   has ").append(have).append('\n');
            }
        }
        return sb.isEmpty() ? Optional.empty() : Optional.of(sb.toString());
    }

    /** Waits until {@link #datapathMismatch} is empty; returns how long that took. */
    static Duration awaitConverged(List<SimHost> hosts, List<RouterProcess> routers, String network, Duration timeout) {
        String[] last = {""};
        return await("VXLAN entries of " + network + " = remote endpoints on every host", timeout, () -> {
            try {
                Optional<String> m = datapathMismatch(hosts, routers, network);
                last[0] = m.orElse("");
                return m.isEmpty();
            } catch (AssertionError e) {
                last[0] = e.getMessage();
                return false;
            }
        }, () -> last[0]);
    }

    // ------------------------------------------------------------------ networks

    /** Creates {@code name} on {@code on} and waits until every host has it. */
    static void createNetwork(SimHost on, List<SimHost> all, String name) {
        on.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", name);
        for (SimHost h : all) {
            await("network " + name + " on " + h.name(), Duration.ofSeconds(20),
                    () -> h.docker(CMD, "network", "inspect", name).ok());
        }
    }

    /**
     * A test class's end: containers and jweave networks removed, the test bed closed (even if cleaning
     * failed), then nothing of the run may be left on the machine. Null arguments are skipped.
     */
    static void closeBed(io.jweave.it.testbed.Testbed tb, io.jweave.it.testbed.LeakCheck before) {
        if (tb != null) {
            try {
                clean(tb.hosts());
            } finally {
                tb.close();
            }
        }
        if (before != null) {
            before.assertNoLeaks();
        }
    }

    /** Removes every container and every jweave network from the hosts given (between tests). */
    static void clean(List<SimHost> hosts) {
        for (SimHost h : hosts) {
            Result ids = h.docker(CMD, "ps", "-aq");
            if (ids.ok() && !ids.out().isBlank()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(List.of(ids.out().trim().split("\\s+")));
                h.docker(Duration.ofSeconds(60), rm.toArray(String[]::new));
            }
        }
        for (SimHost h : hosts) {
            for (String net : jweaveNetworks(h)) {
                h.docker(CMD, "network", "rm", net);
            }
        }
        await("no jweave network left", Duration.ofSeconds(30), () -> {
            for (SimHost h : hosts) {
                List<String> left = jweaveNetworks(h);
                if (!left.isEmpty()) {
                    left.forEach(n -> h.docker(CMD, "network", "rm", n));
                    return false;
                }
            }
            return true;
        }, () -> hosts.stream().map(h -> h.name() + ": " + jweaveNetworks(h)).collect(Collectors.joining(", ")));
    }

    static List<String> jweaveNetworks(SimHost h) {
        Result r = h.docker(CMD, "network", "ls", "--filter", "driver=jweave", "--format", "{{.Name}}");
        if (!r.ok() || r.out().isBlank()) {
            return List.of();
        }
        return List.of(r.out().trim().split("\\s+"));
    }
}
