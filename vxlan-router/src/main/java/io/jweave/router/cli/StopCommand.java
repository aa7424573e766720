package io.jweave.router.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jweave stop}: stops a router started by {@code jweave launch}; networks and containers stay. */
@Command(name = "stop", description = "Stop the router started for --data-dir (SIGTERM, then wait). "
        + "Networks, containers and the datapath stay; the plugin socket is removed.")
public final class StopCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "/var/lib/jweave",
            description = "The router's data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        Optional<ProcessHandle> p = Background.running(dataDir.toAbsolutePath());
        if (p.isEmpty()) {
            System.out.println("no jweave router is running for " + dataDir);
            return 0;
        }
        p.get().destroy();
        try {
            p.get().onExit().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("router pid " + p.get().pid() + " did not stop within 30 s");
        }
        Files.deleteIfExists(Background.pidFile(dataDir.toAbsolutePath()));
        System.out.println("jweave router (pid " + p.get().pid() + ") stopped");
        return 0;
    }
}
