package io.jweave.capture;

import io.jweave.netlink.MacAddress;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which frames a capture keeps: a BPF expression in tcpdump's syntax, compiled by libpcap and run
 * in the kernel (frames it rejects never reach the capture), or everything ({@link #none()}).
 */
public record CaptureFilter(String expression) {

    /** Every frame. */
    public static CaptureFilter none() {
        return new CaptureFilter(null);
    }

    /** Frames matching {@code expression} (tcpdump syntax, e.g. {@code "icmp or arp"}). */
    public static CaptureFilter bpf(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("an empty capture filter expression");
        }
        return new CaptureFilter(expression.strip());
    }

    /**
     * Frames from or to any of {@code macs} ({@code ether host M1 or ether host M2 ...}). An empty set
     * is refused: it would match nothing, and a capture that can never see a frame is a mistake.
     */
    public static CaptureFilter macs(Collection<MacAddress> macs) {
        Set<MacAddress> set = new LinkedHashSet<>(macs);
        if (set.isEmpty()) {
            throw new IllegalArgumentException("a MAC address filter needs at least one address");
        }
        return new CaptureFilter(set.stream().map(m -> "ether host " + m).collect(Collectors.joining(" or ")));
    }

    /** Whether this filter keeps every frame. */
    public boolean isNone() {
        return expression == null;
    }

    /** Frames that both filters keep. */
    public CaptureFilter and(CaptureFilter other) {
        if (other.isNone()) {
            return this;
        }
        if (isNone()) {
            return other;
        }
        return new CaptureFilter("(" + expression + ") and (" + other.expression + ")");
    }

    @Override
    public String toString() {
        return isNone() ? "(all frames)" : expression;
    }
}
