package io.jweave.netlink;

import java.util.concurrent.atomic.LongAdder;

/**
 * Process-wide counters of rtnetlink requests, for metrics. Cheap (a {@link LongAdder} increment
 * per request) and free of any metrics library: the router binds them to its registry.
 *
 * <p>This is the one piece of static mutable state in the module, on purpose: every socket of the
 * process counts into it, whatever handle or namespace it belongs to, and the counters only grow.
 */
public final class NetlinkStats {
    private static final LongAdder REQUESTS = new LongAdder();
    private static final LongAdder ERRORS = new LongAdder();
    private static final LongAdder DUMPS = new LongAdder();

    private NetlinkStats() {
    }

    /** Requests sent to the kernel (each message of a batch counts; a dump counts once). */
    public static long requests() {
        return REQUESTS.sum();
    }

    /** Requests that failed: refused by the kernel (an errno), or no answer / a send or receive error. */
    public static long errors() {
        return ERRORS.sum();
    }

    /** Dump requests (a subset of {@link #requests()}). */
    public static long dumps() {
        return DUMPS.sum();
    }

    /** For the socket: {@code n} requests sent. */
    public static void sent(int n) {
        REQUESTS.add(n);
    }

    /** For the socket: a dump sent. */
    public static void dumped() {
        DUMPS.increment();
        REQUESTS.increment();
    }

    /** For the socket: {@code n} requests failed. */
    public static void failed(int n) {
        ERRORS.add(n);
    }
}
