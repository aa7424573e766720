package io.jweave.it.testbed;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what test-bed runs left behind. Everything a run creates is named {@code jwtb<runid>-...}:
 * network namespaces, {@code /run/jwtb<runid>-<host>}, {@code /var/lib/jwtb<runid>-<host>},
 * {@code /etc/netns/jwtb<runid>-<host>}, cgroups {@code /sys/fs/cgroup/<controller>/jwtb<runid>-<host>},
 * and every dockerd/containerd/shim of the run has {@code /run/jwtb<runid>-} on its command line.
 *
 * <p>A live run holds {@code /run/jwtb<runid>.owner} (pid and start time of its JVM);
 * {@link #sweepStale()} leaves runs whose owner is still alive alone, so parallel runs are safe.
 */
public final class Sweeper {

    private static final Logger log = LoggerFactory.getLogger(Sweeper.class);
    static final String PREFIX = "jwtb";
    private static final Pattern NAME = Pattern.compile("^jwtb([A-Za-z0-9]*)[-.]");
    private static final Pattern IN_CMDLINE = Pattern.compile("/run/jwtb([A-Za-z0-9]*)-");
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    private Sweeper() {
    }

    /** Removes every run whose owner process is gone. Returns the run ids swept. */
    public static List<String> sweepStale() {
        List<String> swept = new ArrayList<>();
        for (String runId : runIdsPresent()) {
            if (!ownerAlive(runId)) {
                log.info("sweeping leftovers of test-bed run '{}'", runId);
                sweepRun(runId);
                swept.add(runId);
            }
        }
        return swept;
    }

    /** Every run id that has something left on this machine. */
    static Set<String> runIdsPresent() {
        Set<String> ids = new TreeSet<>();
        for (String name : netnsNames()) {
            runIdOf(name).ifPresent(ids::add);
        }
        for (Path dir : List.of(Path.of("/run"), Path.of("/var/lib"), Path.of("/etc/netns"))) {
            for (Path p : children(dir)) {
                runIdOf(p.getFileName().toString()).ifPresent(ids::add);
            }
        }
        for (Path hierarchy : cgroupHierarchies()) {
            for (Path p : children(hierarchy)) {
                if (Files.isDirectory(p)) {
                    runIdOf(p.getFileName().toString()).ifPresent(ids::add);
                }
            }
        }
        for (Procs.Proc p : Procs.list()) {
            Matcher m = IN_CMDLINE.matcher(p.cmdline());
            if (m.find()) {
                ids.add(m.group(1));
            }
        }
        return ids;
    }

    static Optional<String> runIdOf(String name) {
        Matcher m = NAME.matcher(name);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    static Path ownerFile(String runId) {
        return Path.of("/run", PREFIX + runId + ".owner");
    }

    /** Writes the owner file of a run: this JVM's pid and start time. */
    static void claim(String runId) {
        long pid = ProcessHandle.current().pid();
        long start = Procs.read(pid).map(Procs.Proc::startTicks).orElse(0L);
        Commands.write(ownerFile(runId), pid + " " + start + "\n");
    }

    static boolean ownerAlive(String runId) {
        try {
            String[] f = Files.readString(ownerFile(runId)).strip().split(" ");
            long pid = Long.parseLong(f[0]);
            long start = Long.parseLong(f[1]);
            return Procs.read(pid).map(p -> p.startTicks() == start && p.state() != 'Z').orElse(false);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Removes everything of one run, whatever state it is in: its processes (dockerd first, politely),
     * processes left in its namespaces and cgroups, mounts, namespaces, directories and the owner file.
     */
    public static void sweepRun(String runId) {
        String prefix = PREFIX + runId + "-";
        String marker = "/run/" + prefix;

        // 1. daemons of the run: SIGTERM dockerd (which stops its containerd), then SIGKILL the rest
        List<Procs.Proc> daemons = Procs.list().stream()
                .filter(p -> p.cmdline().contains(marker) && p.comm().equals("dockerd")).toList();
        for (Procs.Proc d : daemons) {
            Procs.signal(d.pid(), "TERM");
        }
        for (Procs.Proc d : daemons) {
            if (!Procs.waitGone(d.pid(), Duration.ofSeconds(10))) {
                Procs.signal(d.pid(), "KILL");
            }
        }
        for (Procs.Proc p : Procs.list()) {
            if (p.cmdline().contains(marker) && p.pid() != ProcessHandle.current().pid()) {
                Procs.signal(p.pid(), "KILL");
            }
        }

        // 2. anything still running in the run's cgroups (container processes) and the cgroups themselves
        for (Path hierarchy : cgroupHierarchies()) {
            for (Path p : children(hierarchy)) {
                if (p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)) {
                    removeCgroup(p);
                }
            }
        }

        // 3. processes left in the run's network namespaces, then the namespaces
        for (String ns : netnsNames()) {
            if (ns.startsWith(prefix)) {
                Result pids = Commands.run(Duration.ofSeconds(10), "ip", "netns", "pids", ns);
                for (String pid : pids.out().split("\\s+")) {
                    if (!pid.isBlank() && !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
                        Procs.signal(Long.parseLong(pid), "KILL");
                    }
                }
            }
        }

        // 4. mounts under the run's directories, deepest first
        unmountUnder(List.of("/run/" + prefix, "/var/lib/" + prefix, "/etc/netns/" + prefix));

        for (String ns : netnsNames()) {
            if (ns.startsWith(prefix)) {
                Result r = Commands.run(Duration.ofSeconds(10), "ip", "netns", "del", ns);
                if (!r.ok()) {
                    log.warn("cannot delete network namespace {}: {}", ns, r.err());
                }
            }
        }

        // 5. directories and the owner file
        for (Path dir : List.of(Path.of("/run"), Path.of("/var/lib"), Path.of("/etc/netns"))) {
            for (Path p : children(dir)) {
                if (p.getFileName().toString().startsWith(prefix)) {
                    Result r = Commands.run(Duration.ofMinutes(2), "rm", "-rf", "--one-file-system", p.toString());
                    if (!r.ok()) {
                        log.warn("cannot remove {}: {}", p, r.err());
                    }
                }
            }
        }
        try {
            Files.deleteIfExists(ownerFile(runId));
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", ownerFile(runId), e.toString());
        }
    }

    static List<String> netnsNames() {
        List<String> names = new ArrayList<>();
        for (Path p : children(Path.of("/run/netns"))) {
            names.add(p.getFileName().toString());
        }
        return names;
    }

    /** Directories under /sys/fs/cgroup that are hierarchy roots (v1 controllers, or v2 itself). */
    static List<Path> cgroupHierarchies() {
        List<Path> roots = new ArrayList<>();
        if (Files.exists(CGROUP_ROOT.resolve("cgroup.procs"))) {
            roots.add(CGROUP_ROOT); // unified (v2) mount at /sys/fs/cgroup
            return roots;
        }
        for (Path p : children(CGROUP_ROOT)) {
            if (Files.isDirectory(p) && !Files.isSymbolicLink(p) && Files.exists(p.resolve("cgroup.procs"))) {
                roots.add(p);
            }
        }
        return roots;
    }

    /** Kills every process in a cgroup subtree and removes the subtree, leaves first. */
    static void removeCgroup(Path cgroup) {
        List<Path> dirs = new ArrayList<>();
        try (var walk = Files.walk(cgroup)) {
            walk.filter(Files::isDirectory).forEach(dirs::add);
        } catch (IOException e) {
            log.warn("cannot walk cgroup {}: {}", cgroup, e.toString());
            return;
        }
        for (int attempt = 0; attempt < 20; attempt++) {
            boolean any = false;
            for (Path d : dirs) {
                try {
                    for (String pid : Files.readAllLines(d.resolve("cgroup.procs"))) {
                        if (!pid.isBlank()) {
                            any = true;
                            Procs.signal(Long.parseLong(pid.strip()), "KILL");
                        }
                    }
                } catch (IOException e) {
                    // gone already
                }
            }
            if (!any) {
                break;
            }
            Procs.sleep(100);
        }
        dirs.sort(Comparator.comparingInt((Path p) -> p.getNameCount()).reversed());
        for (Path d : dirs) {
            try {
                Files.deleteIfExists(d); // rmdir of a cgroup
            } catch (IOException e) {
                log.warn("cannot remove cgroup {}: {}", d, e.toString());
            }
        }
    }

    /** Lazily unmounts every mount point in this mount namespace under any of the given path prefixes. */
    static void unmountUnder(List<String> prefixes) {
        for (int round = 0; round < 5; round++) {
            List<String> targets = mountTargets().stream()
                    .filter(t -> prefixes.stream().anyMatch(t::startsWith))
                    .sorted(Comparator.comparingInt(String::length).reversed())
                    .toList();
            if (targets.isEmpty()) {
                return;
            }
            for (String t : targets) {
                Result r = Commands.run(Duration.ofSeconds(10), "umount", "-l", t);
                if (!r.ok()) {
                    log.warn("cannot unmount {}: {}", t, r.err());
                }
            }
        }
    }

    static List<String> mountTargets() {
        List<String> targets = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 1) {
                    targets.add(f[1].replace("\\040", " "));
                }
            }
        } catch (IOException e) {
            throw new TestbedException("cannot read /proc/self/mounts", e);
        }
        return targets;
    }

    static List<Path> children(Path dir) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        } catch (IOException e) {
            // unreadable: nothing of ours there
        }
        return out;
    }
}
