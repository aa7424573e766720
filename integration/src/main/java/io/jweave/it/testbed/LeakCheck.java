package io.jweave.it.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a test bed could leak, before and after: root-namespace links, network namespaces,
 * the root namespace's iptables/ip6tables rules and forwarding sysctls, processes, and the run's directories, mounts
 * and cgroups.
 *
 * <pre>
 * LeakCheck before = LeakCheck.snapshot();
 * try (Testbed tb = ...) { ... }
 * before.assertNoLeaks();
 * </pre>
 *
 * Root links and firewall rules must be exactly as before (a test bed never touches them). Of the
 * rest, only things named {@code jwtb...} (or living in our cgroups, or children of this JVM)
 * count, so unrelated activity on the machine does not make the check fail.
 */
public final class LeakCheck {

    private final String scope;
    private final Set<String> links;
    private final Set<String> netns;
    private final Map<String, String> firewall;
    private final Set<String> processKeys;
    private final Map<String, String> sysctls;
    private static final List<String> SYSCTLS = List.of(
            "net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding",
            "net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables");

    private LeakCheck(String scope) {
        this.scope = scope;
        this.links = rootLinks();
        this.netns = new TreeSet<>(Sweeper.netnsNames());
        this.firewall = firewall();
        this.processKeys = Procs.list().stream().map(Procs.Proc::key).collect(Collectors.toSet());
        this.sysctls = sysctls();
    }

    /** Snapshot now; afterwards anything named {@code jwtb*} counts as ours. */
    public static LeakCheck snapshot() {
        return new LeakCheck(Sweeper.PREFIX);
    }

    /** Snapshot now; afterwards only things of this run ({@code jwtb<runId>-*}) count as ours. */
    public static LeakCheck snapshot(String runId) {
        return new LeakCheck(Sweeper.PREFIX + runId + "-");
    }

    /** Differences from the snapshot; empty when nothing leaked. Re-checks for a few seconds. */
    public List<String> leaks() {
        List<String> found = List.of();
        for (int attempt = 0; attempt < 10; attempt++) {
            found = leaksNow();
            if (found.isEmpty()) {
                return found;
            }
            Procs.sleep(300);
        }
        return found;
    }

    public void assertNoLeaks() {
        List<String> found = leaks();
        if (!found.isEmpty()) {
            throw new AssertionError("test bed leaked:\n  " + String.join("\n  ", found));
        }
    }

    private List<String> leaksNow() {
        List<String> out = new ArrayList<>();
        Set<String> linksNow = rootLinks();
        for (String l : linksNow) {
            if (!links.contains(l)) {
                out.add("root namespace link appeared: " + l);
            }
        }
        for (String l : links) {
            if (!linksNow.contains(l)) {
                out.add("root namespace link vanished: " + l);
            }
        }
        for (String ns : Sweeper.netnsNames()) {
            if (!netns.contains(ns) && ns.startsWith(scope)) {
                out.add("network namespace left: " + ns);
            }
        }
        Map<String, String> fwNow = firewall();
        for (Map.Entry<String, String> e : fwNow.entrySet()) {
            if (!e.getValue().equals(firewall.get(e.getKey()))) {
                out.add(e.getKey() + " of the root namespace changed:\n--- before\n" + firewall.get(e.getKey())
                        + "\n--- after\n" + e.getValue());
            }
        }
        Map<String, String> sysNow = sysctls();
        for (Map.Entry<String, String> e : sysNow.entrySet()) {
            if (!e.getValue().equals(sysctls.get(e.getKey()))) {
                out.add("root namespace sysctl " + e.getKey() + " changed: " + sysctls.get(e.getKey()) + " -> " + e.getValue());
            }
        }
        long self = ProcessHandle.current().pid();
        Set<Long> children = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
        for (Procs.Proc p : Procs.list()) {
            if (processKeys.contains(p.key()) || p.pid() == self) {
                continue;
            }
            boolean named = p.cmdline().contains("/run/" + scope) || p.cmdline().contains(" " + scope)
                    || p.cgroup().contains("/" + scope);
            if (named || (children.contains(p.pid()) && p.state() != 'Z')) {
                out.add("process left: " + p);
            }
        }
        for (String dir : List.of("/run", "/var/lib", "/etc/netns")) {
            for (Path p : Sweeper.children(Path.of(dir))) {
                if (p.getFileName().toString().startsWith(scope)) {
                    out.add("path left: " + p);
                }
            }
        }
        for (String t : Sweeper.mountTargets()) {
            if (t.contains("/" + scope)) {
                out.add("mount left: " + t);
            }
        }
        for (Path h : Sweeper.cgroupHierarchies()) {
            for (Path p : Sweeper.children(h)) {
                if (p.getFileName().toString().startsWith(scope) && Files.isDirectory(p)) {
                    out.add("cgroup left: " + p);
                }
            }
        }
        return out;
    }

    /** "name kind" of each link of the root namespace (ifindex and peer suffix stripped). */
    static Set<String> rootLinks() {
        Result r = Commands.runOk(Duration.ofSeconds(10), "ip", "-o", "-d", "link", "show");
        Set<String> names = new TreeSet<>();
        for (String line : r.out().split("\n")) {
            String[] f = line.split(": ", 3);
            if (f.length < 2) {
                continue;
            }
            String name = f[1].contains("@") ? f[1].substring(0, f[1].indexOf('@')) : f[1];
            names.add(name);
        }
        return names;
    }

    /** A few root-namespace sysctls a dockerd could flip (forwarding, bridge netfilter). */
    static Map<String, String> sysctls() {
        Map<String, String> out = new TreeMap<>();
        for (String key : SYSCTLS) {
            try {
                out.put(key, Files.readString(Path.of("/proc/sys", key)).strip());
            } catch (java.io.IOException e) {
                out.put(key, "(absent)");
            }
        }
        return out;
    }

    /** Normalised iptables-save and ip6tables-save of the root namespace (no comments, no counters). */
    static Map<String, String> firewall() {
        Map<String, String> out = new TreeMap<>();
        for (String tool : List.of("iptables-save", "ip6tables-save")) {
            Result r = Commands.run(Duration.ofSeconds(20), tool);
            String text = r.ok() ? r.stdout() : "(" + tool + " failed: " + r.err() + ")";
            out.put(tool, text.lines()
                    .filter(l -> !l.startsWith("#"))
                    .map(l -> l.replaceAll("\\[\\d+:\\d+\\]", "[0:0]"))
                    .collect(Collectors.joining("\n")));
        }
        return out;
    }

    @Override
    public String toString() {
        return "LeakCheck(scope " + scope + ", " + links.size() + " root links, " + netns.size()
                + " namespaces, " + processKeys.size() + " processes)";
    }
}
