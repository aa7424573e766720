package io.jweave.router.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code jweave version}: prints the version of this build. */
@Command(name = "version", description = "Print the jweave version.")
public final class VersionCommand implements Runnable {

    /** The version from the jar manifest, or "dev" when running from classes. */
    public static String version() {
        String v = VersionCommand.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public void run() {
        System.out.println("jweave " + version());
    }

    /** Supplies {@code jweave --version}. */
    public static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jweave " + version()};
        }
    }
}
