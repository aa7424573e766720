package io.jweave.it.testbed;

import java.time.Duration;
import java.util.List;

/**
 * Outcome of one command run by the test bed.
 *
 * @param command  the full command line as executed (including {@code ip netns exec ...})
 * @param exitCode the exit status, or -1 if the command timed out and was killed
 * @param stdout   everything written to standard output
 * @param stderr   everything written to standard error
 * @param elapsed  wall-clock time until the command ended (or was killed)
 * @param timedOut whether the command was killed after its timeout
 */
public record Result(List<String> command, int exitCode, String stdout, String stderr,
                     Duration elapsed, boolean timedOut) {

    public Result {
        command = List.copyOf(command);
    }

    /** True when the command exited with status 0. */
    public boolean ok() {
        return exitCode == 0 && !timedOut;
    }

    /** Standard output without leading and trailing white space. */
    public String out() {
        return stdout.strip();
    }

    /** Standard error without leading and trailing white space. */
    public String err() {
        return stderr.strip();
    }

    /** Returns this result, or throws with the command, exit status and stderr if it failed. */
    public Result orThrow() {
        if (!ok()) {
            throw new TestbedException(describe());
        }
        return this;
    }

    /** One paragraph describing the command and how it ended, for failure messages. */
    public String describe() {
        String how = timedOut ? "timed out after " + elapsed.toMillis() + " ms"
                : "exited " + exitCode + " after " + elapsed.toMillis() + " ms";
        return "command " + String.join(" ", command) + " " + how
                + (stderr.isBlank() ? "" : "\n--- stderr ---\n" + stderr.strip())
                + (stdout.isBlank() ? "" : "\n--- stdout ---\n" + abbreviate(stdout.strip(), 4000));
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "\n... (" + (s.length() - max) + " more chars)";
    }
}
