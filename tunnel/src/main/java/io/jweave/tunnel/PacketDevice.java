package io.jweave.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Where the tunnel reads outbound IPv4 packets and writes inbound ones (a TUN device). */
public interface PacketDevice extends AutoCloseable {
    /**
     * Reads one packet into dst from its position, advancing the position. Waits at most a short
     * while (so the caller can notice a shutdown) and returns 0 if nothing came; returns the
     * packet's length otherwise. Throws once the device is closed.
     */
    int read(ByteBuffer dst) throws IOException;

    /**
     * Like {@link #read} but never waits: returns 0 at once if no packet is queued. The tunnel uses it
     * to gather a batch; the default (0: "nothing now") sends every packet on its own.
     */
    default int readNow(ByteBuffer dst) throws IOException {
        return 0;
    }

    /** Writes src's remaining bytes as one packet. */
    void write(ByteBuffer src) throws IOException;

    @Override
    void close() throws IOException;
}
