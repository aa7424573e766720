package io.jweave.capture;

/** A capture that cannot be opened or run (no libpcap, no such interface, a filter libpcap refuses...). */
public class CaptureException extends RuntimeException {
    public CaptureException(String message) {
        super(message);
    }

    public CaptureException(String message, Throwable cause) {
        super(message, cause);
    }
}
