package io.jweave.it.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the process table from /proc and sends signals. Stateless. */
final class Procs {

    /** One process as seen in /proc. {@code netns} is e.g. "net:[4026532283]", or "" if unreadable. */
    record Proc(long pid, long ppid, long pgid, char state, long startTicks, String comm,
                String cmdline, String netns, String cgroup) {

        /** Identifies this process across pid reuse. */
        String key() {
            return pid + "@" + startTicks;
        }

        @Override
        public String toString() {
            return pid + " (ppid " + ppid + ", " + state + ") " + (cmdline.isEmpty() ? "[" + comm + "]" : cmdline);
        }
    }

    private Procs() {
    }

    static List<Proc> list() {
        List<Proc> all = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                read(Long.parseLong(name)).ifPresent(all::add);
            }
        } catch (IOException e) {
            throw new TestbedException("cannot list /proc", e);
        }
        return all;
    }

    static Optional<Proc> read(long pid) {
        Path dir = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(dir.resolve("stat"));
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            String comm = stat.substring(open + 1, close);
            String[] f = stat.substring(close + 2).split(" ");
            // f[0]=state f[1]=ppid f[2]=pgrp ... f[19]=starttime
            char state = f[0].charAt(0);
            long ppid = Long.parseLong(f[1]);
            long pgid = Long.parseLong(f[2]);
            long start = Long.parseLong(f[19]);
            String cmdline = readOr(dir.resolve("cmdline")).replace('\0', ' ').strip();
            String cgroup = readOr(dir.resolve("cgroup"));
            String netns = "";
            try {
                netns = Files.readSymbolicLink(dir.resolve("ns/net")).toString();
            } catch (IOException | UnsupportedOperationException e) {
                // not readable (kernel thread, exited, or sandbox restrictions)
            }
            return Optional.of(new Proc(pid, ppid, pgid, state, start, comm, cmdline, netns, cgroup));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // exited while we looked
        }
    }

    private static String readOr(Path p) {
        try {
            return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Running (not a zombie, not gone). */
    static boolean isAlive(long pid) {
        return read(pid).map(p -> p.state() != 'Z' && p.state() != 'X').orElse(false);
    }

    static void signal(long pid, String signal) {
        Commands.run(Duration.ofSeconds(5), "kill", "-s", signal, Long.toString(pid));
    }

    static void signalGroup(long pgid, String signal) {
        Commands.run(Duration.ofSeconds(5), "kill", "-s", signal, "--", "-" + pgid);
    }

    static boolean waitGone(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(50);
        }
        return true;
    }

    /**
     * SIGTERM, wait up to {@code grace}, then SIGKILL. With {@code group}, the signals go to the
     * process group led by {@code pid} (the process was started through setsid).
     * Returns true if the process ended on SIGTERM.
     */
    static boolean terminate(long pid, Duration grace, boolean group) {
        if (!isAlive(pid)) {
            return true;
        }
        if (group) {
            signalGroup(pid, "TERM");
        } else {
            signal(pid, "TERM");
        }
        if (waitGone(pid, grace)) {
            if (group) {
                signalGroup(pid, "KILL"); // stragglers of the group, if any
            }
            return true;
        }
        if (group) {
            signalGroup(pid, "KILL");
        }
        signal(pid, "KILL");
        waitGone(pid, Duration.ofSeconds(5));
        return false;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted", e);
        }
    }
}
