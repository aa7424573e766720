package io.jweave.it;

import io.jweave.it.testbed.RouterProcess;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One test bed per test class for the single-host Docker tests: two simulated hosts, a jweave
 * router on host1 (host2 plays "the outside world"), and what the tests look at besides the docker
 * CLI: host1's links, the router's data directory ({@code ipam.json}, {@code router-state.json},
 * the per-network namespaces).
 */
final class SingleHostBed implements AutoCloseable {
    static final String IMAGE = TestImage.NAME;
    private static final ObjectMapper JSON = new ObjectMapper();

    final LeakCheck before;
    final Testbed tb;
    final SimHost h1;
    final SimHost h2;
    final RouterProcess router;

    private SingleHostBed() {
        String runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(2).runId(runId).start();
        h1 = tb.host(1);
        h2 = tb.host(2);
        RouterProcess r;
        try {
            r = RouterProcess.launch(h1);
        } catch (RuntimeException | Error e) {
            tb.close();
            throw e;
        }
        router = r;
    }

    static SingleHostBed start() {
        return new SingleHostBed();
    }

    // ------------------------------------------------------------------------ docker helpers

    /** {@code docker run -d --name <name> <networkArgs> IMAGE sleep 600}; throws on failure. */
    String sleeper(String name, String... networkArgs) {
        List<String> args = new ArrayList<>(List.of("-d", "--name", name));
        args.addAll(List.of(networkArgs));
        args.addAll(List.of(IMAGE, "sleep", "600"));
        return h1.run(args.toArray(String[]::new));
    }

    /** {@code docker run -d --name <name> ...} as a result, for runs expected to fail. */
    Result tryRun(String name, String... networkArgs) {
        List<String> args = new ArrayList<>(List.of("run", "--init", "--pull", "never", "-d", "--name", name));
        args.addAll(List.of(networkArgs));
        args.addAll(List.of(IMAGE, "sleep", "600"));
        return h1.docker(args.toArray(String[]::new));
    }

    Result ping(String container, String ip) {
        return h1.docker(Duration.ofSeconds(30), "exec", container, "ping", "-c", "1", "-W", "3", ip);
    }

    void assertPings(String container, String ip) {
        Result p = ping(container, ip);
        assertTrue(p.ok(), () -> container + " should reach " + ip + ":\n" + p.describe());
    }

    void assertNoPing(String container, String ip) {
        Result p = h1.docker(Duration.ofSeconds(30), "exec", container, "ping", "-c", "1", "-W", "1", ip);
        assertFalse(p.ok(), () -> container + " must not reach " + ip + ":\n" + p.describe());
    }

    String ip(String container, String network) {
        String ip = h1.containerIp(container, network);
        assertFalse(ip.isEmpty(), () -> container + " has no address on " + network);
        return ip;
    }

    /** Names of the container's interfaces ({@code /sys/class/net}). */
    SortedSet<String> interfaces(String container) {
        return new TreeSet<>(Arrays.asList(h1.dockerOk("exec", container, "ls", "/sys/class/net").out().split("\\s+")));
    }

    /** The {@code ip -o -4 addr} lines of a container. */
    String addresses(String container) {
        return h1.dockerOk("exec", container, "ip", "-o", "-4", "addr").out();
    }

    /** The name of the container's interface that holds {@code ip} (from {@code ip -o -4 addr}). */
    String interfaceWith(String container, String ip) {
        String all = addresses(container);
        return all.lines().filter(l -> l.contains(" inet " + ip + "/")).findFirst()
                .map(l -> l.split(":\\s+", 3)[1].split("\\s+")[0])
                .orElseThrow(() -> new AssertionError(container + " has no interface with " + ip + ":\n" + all));
    }

    /** Asserts a docker CLI command failed and its error output says {@code expected}. */
    static void assertRefused(Result r, String expected) {
        assertFalse(r.ok(), () -> "expected a failure mentioning \"" + expected + "\" but it succeeded:\n" + r.describe());
        assertTrue(r.err().contains(expected), () -> "error message should contain \"" + expected + "\":\n" + r.describe());
    }

    /** Removes every container and every jweave network of host1 (also the failed "Created" ones). */
    void removeAll() {
        List<String> ids = h1.containerIds();
        if (!ids.isEmpty()) {
            List<String> rm = new ArrayList<>(List.of("rm", "-f"));
            rm.addAll(ids);
            h1.dockerOk(rm.toArray(String[]::new));
        }
        for (String id : h1.dockerOk("network", "ls", "--filter", "driver=jweave", "-q").out().split("\\s+")) {
            if (!id.isBlank()) {
                h1.dockerOk("network", "rm", id);
            }
        }
    }

    // ------------------------------------------------------------------------ jweave's own state

    /**
     * Link names of host1 (its network namespace), without the {@code @peer} suffix, and without the
     * tunnel's device {@code jwtun0}: without a password it lives exactly as long as the router process
     * (the datapath of networks and endpoints does not depend on it).
     */
    SortedSet<String> hostLinks() {
        SortedSet<String> names = new TreeSet<>();
        for (String line : h1.execOk("ip", "-o", "link", "show").out().split("\n")) {
            String[] f = line.split(": ", 3);
            if (f.length >= 2) {
                names.add(f[1].contains("@") ? f[1].substring(0, f[1].indexOf('@')) : f[1]);
            }
        }
        names.remove("jwtun0");
        return names;
    }

    /** Files under the router's netns directory (one per network: {@code vni-<n>}). */
    SortedSet<String> networkNamespaces() {
        SortedSet<String> out = new TreeSet<>();
        if (Files.isDirectory(router.netnsDir())) {
            try (Stream<Path> s = Files.list(router.netnsDir())) {
                s.forEach(p -> out.add(p.getFileName().toString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** {@code ipam.json}: pool CIDR (with ip-range, if any) → allocated addresses. */
    SortedMap<String, List<String>> ipamAllocations() {
        SortedMap<String, List<String>> out = new TreeMap<>();
        JsonNode root = readJson(router.ipamFile());
        if (root == null) {
            return out;
        }
        for (JsonNode pool : root.path("pools")) {
            String key = pool.path("pool").asText() + (pool.hasNonNull("subPool") ? "[" + pool.path("subPool").asText() + "]" : "");
            List<String> addresses = new ArrayList<>();
            for (JsonNode a : pool.path("allocations")) {
                addresses.add(a.path("address").asText());
            }
            assertFalse(out.containsKey(key), () -> "pool " + key + " appears twice in " + router.ipamFile());
            out.put(key, addresses);
        }
        return out;
    }

    /** {@code router-state.json}: network count and endpoint addresses. */
    RouterState routerState() {
        JsonNode root = readJson(router.stateFile());
        List<String> networks = new ArrayList<>();
        List<String> endpoints = new ArrayList<>();
        if (root != null) {
            root.path("networks").forEach(n -> networks.add(n.path("pool").asText()));
            root.path("endpoints").forEach(e -> endpoints.add(e.path("address").asText()));
        }
        networks.sort(null);
        endpoints.sort(null);
        return new RouterState(networks, endpoints);
    }

    record RouterState(List<String> networkPools, List<String> endpointAddresses) {
    }

    /** Everything jweave keeps on host1, for "nothing changed" comparisons. */
    JweaveState jweaveState() {
        return new JweaveState(hostLinks(), networkNamespaces(), ipamAllocations(), routerState());
    }

    record JweaveState(SortedSet<String> hostLinks, SortedSet<String> namespaces,
                       SortedMap<String, List<String>> ipam, RouterState router) {
    }

    /** After {@link #removeAll()}: jweave holds nothing (no pools, networks, endpoints, namespaces, links). */
    void assertJweaveEmpty() {
        assertEquals(Map.of(), ipamAllocations(), "no IPAM pool or address left in " + router.ipamFile());
        assertEquals(new RouterState(List.of(), List.of()), routerState(), "no network or endpoint left in " + router.stateFile());
        assertEquals(new TreeSet<String>(), networkNamespaces(), "no network namespace left under " + router.netnsDir());
        SortedSet<String> jw = new TreeSet<>(hostLinks().stream().filter(l -> l.startsWith("jw")).toList());
        assertEquals(new TreeSet<String>(), jw, "no jweave link left in host1");
    }

    private static JsonNode readJson(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    // ------------------------------------------------------------------------ teardown

    /**
     * Removes what the tests left, checks jweave holds nothing any more (data directory, host1's
     * links), stops the router, removes the test bed and checks the machine has nothing of it.
     */
    @Override
    public void close() {
        AssertionError failure = null;
        try {
            removeAll();
            assertJweaveEmpty();
            assertTrue(router.isAlive(), () -> "the router died during the tests; log:\n" + router.logTail());
            router.stop();
            assertFalse(Files.exists(h1.pluginSocket()), "a stopped router removes its plugin socket");
            // Host1 holds only what the test bed and dockerd made: no jweave link, no leftover veth.
            for (String l : hostLinks()) {
                assertTrue(l.equals("lo") || l.equals("eth0") || l.equals("docker_gwbridge"),
                        () -> "unexpected link left in host1: " + l + " (all: " + hostLinks() + ")");
            }
        } catch (AssertionError e) {
            failure = e;
        } finally {
            try {
                tb.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = new AssertionError("test bed teardown: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        List<String> leaks = before.leaks();
        if (!leaks.isEmpty()) {
            AssertionError leak = new AssertionError("test bed leaked:\n  " + String.join("\n  ", leaks));
            if (failure == null) {
                failure = leak;
            } else {
                failure.addSuppressed(leak);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
