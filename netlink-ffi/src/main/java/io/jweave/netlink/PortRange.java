package io.jweave.netlink;

/** An inclusive range of TCP/UDP ports, as a policy rule matches it ({@code struct fib_rule_port_range}). */
public record PortRange(int start, int end) {

    public PortRange {
        if (start < 0 || start > 65535 || end < 0 || end > 65535 || start > end) {
            throw new IllegalArgumentException("port range " + start + "-" + end + " is not within 0..65535 in order");
        }
    }

    /** A single port. */
    public static PortRange of(int port) {
        return new PortRange(port, port);
    }

    @Override
    public String toString() {
        return start == end ? Integer.toString(start) : start + "-" + end;
    }
}
