package io.jweave.tunnel;

/** How a peer's packets travel: over UDP, over the TCP transport, or NONE (nothing answers; data still goes over UDP). */
public enum Transport {
    UDP, TCP, NONE
}
