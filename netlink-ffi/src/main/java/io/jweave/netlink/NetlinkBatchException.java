package io.jweave.netlink;

import java.util.List;

/** Some requests of a batch failed; the others were applied. */
public final class NetlinkBatchException extends NetlinkException {
    private static final long serialVersionUID = 1L;
    private final transient List<NetlinkException> failures;
    private final int total;

    public NetlinkBatchException(String operation, int total, List<NetlinkException> failures) {
        super(operation, failures.get(0).errno(), operation + ": " + failures.size() + " of " + total
                + " failed; first: " + failures.get(0).getMessage(), true);
        this.failures = List.copyOf(failures);
        this.total = total;
    }

    public List<NetlinkException> failures() {
        return failures;
    }

    public int total() {
        return total;
    }
}
