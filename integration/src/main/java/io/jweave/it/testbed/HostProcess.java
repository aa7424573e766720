package io.jweave.it.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A long-running process inside a simulated host (a router, a server), started in its own
 * session so that it and its children can be signalled as one group. The test bed stops it at
 * teardown if the test did not.
 */
public final class HostProcess {

    private final String name;
    private final SimHost host;
    private final Process process;
    private final List<String> command;
    private final Path log;

    HostProcess(String name, SimHost host, Process process, List<String> command, Path log) {
        this.name = name;
        this.host = host;
        this.process = process;
        this.command = List.copyOf(command);
        this.log = log;
    }

    public String name() {
        return name;
    }

    public SimHost host() {
        return host;
    }

    /** The pid of the command itself (the {@code ip netns exec}/{@code unshare} steps exec into it). */
    public long pid() {
        return process.pid();
    }

    public List<String> command() {
        return command;
    }

    /** File receiving the process's stdout and stderr. */
    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Exit status, if the process has ended. */
    public java.util.OptionalInt exitCode() {
        return process.isAlive() ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(process.exitValue());
    }

    /** The last {@code lines} lines of the log. */
    public String logTail(int lines) {
        return tail(log, lines);
    }

    /**
     * SIGTERM to the process group, SIGKILL after {@code grace}. Returns true if it ended on SIGTERM.
     * Idempotent.
     */
    public boolean stop(Duration grace) {
        if (!process.isAlive()) {
            Procs.signalGroup(process.pid(), "KILL"); // leftovers of the group, if any
            return true;
        }
        boolean clean = Procs.terminate(process.pid(), grace, true);
        try {
            process.waitFor(); // reap
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return clean;
    }

    /** SIGKILL to the process group, like a crash. */
    public void kill() {
        Procs.signalGroup(process.pid(), "KILL");
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + "@" + host.name() + " (pid " + pid() + ")";
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = List.of(new String(Files.readAllBytes(file),
                    java.nio.charset.StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + file + ": " + e + ")";
        }
    }
}
