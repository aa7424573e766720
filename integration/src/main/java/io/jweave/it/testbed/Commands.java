package io.jweave.it.testbed;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs commands with a timeout, capturing their output. Stateless. */
final class Commands {

    private static final File DEV_NULL = new File("/dev/null");

    private Commands() {
    }

    static Result run(List<String> command, Duration timeout) {
        return run(command, timeout, Map.of());
    }

    static Result run(List<String> command, Duration timeout, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(DEV_NULL);
        pb.environment().remove("JWEAVE_PASSWORD"); // a test gives it explicitly (env), never the calling shell
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(command, 127, "", "cannot start: " + e.getMessage(),
                    Duration.ofNanos(System.nanoTime() - start), false);
        }
        Capture out = new Capture(p.getInputStream());
        Capture err = new Capture(p.getErrorStream());
        boolean timedOut = false;
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new TestbedException("interrupted while running " + String.join(" ", command), e);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        // A background grandchild may keep the pipes open; do not wait for it forever.
        String o = out.get(2000);
        String e = err.get(2000);
        return new Result(command, timedOut ? -1 : p.exitValue(), o, e, elapsed, timedOut);
    }

    static Result run(Duration timeout, String... command) {
        return run(List.of(command), timeout);
    }

    static Result runOk(Duration timeout, String... command) {
        return run(List.of(command), timeout).orThrow();
    }

    static List<String> concat(List<String> prefix, String... rest) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(rest));
        return all;
    }

    /** Reads one stream to its end on a daemon thread. */
    private static final class Capture {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final Thread thread;

        Capture(InputStream in) {
            thread = new Thread(() -> {
                byte[] chunk = new byte[8192];
                try (in) {
                    int n;
                    while ((n = in.read(chunk)) > 0) {
                        synchronized (buf) {
                            buf.write(chunk, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the process was killed or closed its end; keep what we have
                }
            }, "testbed-capture");
            thread.setDaemon(true);
            thread.start();
        }

        String get(long waitMillis) {
            try {
                thread.join(waitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /** Writes a small text file, creating parent directories. */
    static void write(java.nio.file.Path file, String text) {
        try {
            java.nio.file.Files.createDirectories(file.getParent());
            java.nio.file.Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
