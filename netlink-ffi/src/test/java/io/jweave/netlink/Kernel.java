package io.jweave.netlink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture for real-kernel tests: makes throwaway network namespaces ({@code jwt-} + random
 * suffix) through {@link NetNs#create}, hands out {@link Handle}s on them, and observes the kernel
 * independently through iproute2's JSON output ({@code ip netns exec NS ip -j ...}). Closing it
 * closes every handle and process it made and deletes every namespace, which takes all links in
 * them along; a namespace left behind fails the test.
 */
final class Kernel implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<String> namespaces = new ArrayList<>();
    private final Map<NetNs, String> names = new IdentityHashMap<>();
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private final List<Process> processes = new ArrayList<>();

    /** Kernel tests need root; without it they fail, loudly, rather than skip. */
    static void requireRoot() {
        String uid;
        try {
            uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: ?").split("\\s+")[1];
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/status", e);
        }
        if (!"0".equals(uid)) {
            throw new AssertionError("netlink-ffi kernel tests must run as root (uid 0), not uid " + uid
                    + ": they create network namespaces and links");
        }
        for (String tool : new String[] {"ip", "bridge"}) {
            if (!onPath(tool)) {
                throw new AssertionError("the kernel tests observe through iproute2's `" + tool
                        + "`, which is not installed (apt-get install iproute2)");
            }
        }
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    static String randomName(String tag) {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return "jwt-" + tag + "-" + HexFormat.of().formatHex(b);
    }

    /** A new named namespace, created by netlink-ffi, deleted on close. */
    NetNs newNs(String tag) {
        String name = randomName(tag);
        namespaces.add(name);
        NetNs ns = NetNs.create(name);
        names.put(ns, name);
        closeables.push(ns);
        return ns;
    }

    String name(NetNs ns) {
        String n = names.get(ns);
        if (n == null) {
            throw new IllegalArgumentException(ns + " was not made by this fixture");
        }
        return n;
    }

    /** Records a namespace name this test created some other way, so close() deletes it. */
    void adopt(String nsName) {
        namespaces.add(nsName);
    }

    Handle handle(NetNs ns) {
        return track(Handle.open(ns));
    }

    <T extends AutoCloseable> T track(T c) {
        closeables.push(c);
        return c;
    }

    /** Starts {@code cmd} inside {@code ns} ({@code ip netns exec}); killed on close. */
    Process spawn(NetNs ns, String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name(ns)));
        full.addAll(Arrays.asList(cmd));
        try {
            Process p = new ProcessBuilder(full).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new AssertionError("cannot start " + full, e);
        }
    }

    record Result(int exit, String out, String err) {
    }

    /** Runs a command (30 s at most) and returns its exit code and output. */
    static Result run(List<String> cmd) {
        Path err = null;
        try {
            err = Files.createTempFile("jwt-cmd", ".err");
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + cmd, e);
        } finally {
            if (err != null) {
                try {
                    Files.deleteIfExists(err);
                } catch (IOException ignored) {
                    // temp file
                }
            }
        }
    }

    /** Runs {@code cmd} inside {@code ns}. */
    Result exec(NetNs ns, String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name(ns)));
        full.addAll(Arrays.asList(cmd));
        return run(full);
    }

    /** Runs {@code cmd} inside {@code ns}; it must succeed. */
    String execOk(NetNs ns, String... cmd) {
        Result r = exec(ns, cmd);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " in " + name(ns) + " exited " + r.exit() + ": " + r.err() + r.out());
        }
        return r.out();
    }

    static JsonNode parse(String json) {
        if (json.isBlank()) {
            return JsonNodeFactory.instance.arrayNode();
        }
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    /** {@code ip -j ARGS} inside {@code ns}, parsed. */
    JsonNode ip(NetNs ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-j"));
        cmd.addAll(Arrays.asList(args));
        return parse(execOk(ns, cmd.toArray(String[]::new)));
    }

    /** {@code bridge -j ARGS} inside {@code ns}, parsed. */
    JsonNode bridge(NetNs ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bridge", "-j"));
        cmd.addAll(Arrays.asList(args));
        return parse(execOk(ns, cmd.toArray(String[]::new)));
    }

    /** {@code ip -j -d link show dev NAME} inside {@code ns}, or null if there is no such link. */
    JsonNode link(NetNs ns, String name) {
        Result r = exec(ns, "ip", "-j", "-d", "link", "show", "dev", name);
        if (r.exit() != 0) {
            if (r.err().contains("does not exist")) {
                return null;
            }
            throw new AssertionError("ip link show dev " + name + ": " + r.err());
        }
        JsonNode a = parse(r.out());
        return a.size() == 0 ? null : a.get(0);
    }

    /** Names of all links in {@code ns}, as iproute2 sees them. */
    List<String> linkNames(NetNs ns) {
        List<String> out = new ArrayList<>();
        ip(ns, "link", "show").forEach(l -> out.add(l.get("ifname").asText()));
        return out;
    }

    static boolean hasFlag(JsonNode link, String flag) {
        for (JsonNode f : link.path("flags")) {
            if (f.asText().equals(flag)) {
                return true;
            }
        }
        return false;
    }

    /** The names of every namespace under /run/netns, as {@code ip netns list} prints them. */
    static List<String> netnsList() {
        Result r = run(List.of("ip", "-j", "netns", "list"));
        List<String> out = new ArrayList<>();
        parse(r.out()).forEach(n -> out.add(n.get("name").asText()));
        return out;
    }

    /**
     * The root namespace's links, reduced to what a test could change by mistake (name, index,
     * kind, MTU, MAC, master, admin state). Compared before and after each test class.
     */
    static String rootLinks() {
        Result r = run(List.of("ip", "-j", "-d", "link", "show"));
        StringBuilder sb = new StringBuilder();
        parse(r.out()).forEach(l -> sb.append(l.path("ifindex").asInt()).append(' ')
                .append(l.path("ifname").asText()).append(' ')
                .append(l.path("linkinfo").path("info_kind").asText("-")).append(" mtu ")
                .append(l.path("mtu").asInt()).append(' ')
                .append(l.path("address").asText()).append(" master ")
                .append(l.path("master").asText("-")).append(hasFlag(l, "UP") ? " UP" : " DOWN").append('\n'));
        return sb.toString();
    }

    /** The inode of a namespace file, to compare with {@code net:[INODE]} links under /proc. */
    static long inode(String path) {
        try {
            return ((Number) Files.getAttribute(Path.of(path), "unix:ino")).longValue();
        } catch (IOException e) {
            throw new AssertionError("cannot stat " + path, e);
        }
    }

    /** The network namespace inode of a thread or process, from a /proc ns link like {@code net:[4026531840]}. */
    static long nsInodeOf(String procNsLink) {
        try {
            String t = Files.readSymbolicLink(Path.of(procNsLink)).toString();
            return Long.parseLong(t.substring(t.indexOf('[') + 1, t.indexOf(']')));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + procNsLink, e);
        }
    }

    @Override
    public void close() {
        List<Throwable> problems = new ArrayList<>();
        while (!closeables.isEmpty()) {
            try {
                closeables.pop().close();
            } catch (Exception e) {
                problems.add(e);
            }
        }
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (String n : namespaces) {
            try {
                if (NetNs.exists(n)) {
                    NetNs.delete(n);
                }
            } catch (RuntimeException e) {
                problems.add(e);
                run(List.of("ip", "netns", "delete", n)); // second chance, so nothing is left behind
            }
        }
        List<String> left = new ArrayList<>(netnsList());
        left.retainAll(namespaces);
        if (!left.isEmpty()) {
            problems.add(new AssertionError("namespaces left behind: " + left));
        }
        if (!problems.isEmpty()) {
            AssertionError e = new AssertionError("cleanup failed: " + problems.get(0), problems.get(0));
            problems.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }
}
