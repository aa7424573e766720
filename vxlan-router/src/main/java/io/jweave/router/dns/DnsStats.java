package io.jweave.router.dns;

import java.util.concurrent.atomic.LongAdder;

/** Counters of a {@link DnsServer} since it started; cheap to update from every event loop. */
public final class DnsStats {
    final LongAdder queries = new LongAdder();
    final LongAdder answered = new LongAdder();
    final LongAdder nxdomain = new LongAdder();
    final LongAdder nodata = new LongAdder();
    final LongAdder forwarded = new LongAdder();
    final LongAdder forwardErrors = new LongAdder();
    final LongAdder malformed = new LongAdder();
    final LongAdder truncated = new LongAdder();
    final LongAdder servfail = new LongAdder();

    DnsStats() {
    }

    /** DNS messages received (UDP datagrams and TCP frames), malformed ones included. */
    public long queries() {
        return queries.sum();
    }

    /** Queries answered from the registry with at least one record. */
    public long answered() {
        return answered.sum();
    }

    /** NXDOMAIN answers for unknown names in the domain. */
    public long nxdomain() {
        return nxdomain.sum();
    }

    /** NOERROR answers without records (a known name asked for another type). */
    public long nodata() {
        return nodata.sum();
    }

    /** Queries forwarded to an upstream resolver. */
    public long forwarded() {
        return forwarded.sum();
    }

    /** Upstream attempts that failed or timed out (the next upstream is tried). */
    public long forwardErrors() {
        return forwardErrors.sum();
    }

    /** Messages dropped or answered FORMERR because they were not a well-formed query. */
    public long malformed() {
        return malformed.sum();
    }

    /** UDP answers sent with TC set because they did not fit. */
    public long truncated() {
        return truncated.sum();
    }

    /** SERVFAIL answers (no upstream answered, or the server was overloaded). */
    public long servfail() {
        return servfail.sum();
    }

    @Override
    public String toString() {
        return "queries=" + queries() + " answered=" + answered() + " nxdomain=" + nxdomain() + " nodata=" + nodata()
                + " forwarded=" + forwarded() + " forwardErrors=" + forwardErrors() + " malformed=" + malformed()
                + " truncated=" + truncated() + " servfail=" + servfail();
    }
}
