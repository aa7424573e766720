package io.jweave.plugin;

/**
 * An error a user (or Docker on a user's behalf) can cause, with a message meant for that user.
 *
 * <p>A driver throws it to refuse a call ("subnet 10.40.0.0/16 overlaps network red"). The server
 * answers HTTP 500 {@code {"Err": "<message>"}}; Docker shows it as
 * {@code <Interface>.<Method>: <message>}. Any other exception thrown by a driver is treated as a bug:
 * it is logged with its stack trace and answered as {@code internal error in <Method>: <text>}.
 *
 * <p>The message ends up in Docker's logs and on the user's terminal: never put secrets in it.
 */
public class PluginException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PluginException(String message) {
        super(requireMessage(message));
    }

    public PluginException(String message, Throwable cause) {
        super(requireMessage(message), cause);
    }

    private static String requireMessage(String message) {
        if (message == null || message.isBlank()) {
            throw new IllegalArgumentException("a PluginException needs a message for the user");
        }
        return message;
    }
}
