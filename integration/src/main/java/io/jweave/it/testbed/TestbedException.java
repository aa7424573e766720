package io.jweave.it.testbed;

/** The test bed could not do what a test asked (a command failed, a daemon did not come up, ...). */
public class TestbedException extends RuntimeException {

    public TestbedException(String message) {
        super(message);
    }

    public TestbedException(String message, Throwable cause) {
        super(message, cause);
    }
}
