package io.jweave.router.cli;

import io.jweave.router.docker.DockerEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jweave stop}: stops the router started by {@code jweave launch}; networks and containers stay. */
@Command(name = "stop", description = {
        "Stop the router: the container jweave-router of the dockerd at --docker-host is stopped and removed,",
        "and the plugin socket removed. Without that container, a router process started for --data-dir",
        "gets SIGTERM. The container's copy of the mesh password (DATA-DIR/password) is removed.",
        "Networks, containers and the datapath stay."})
public final class StopCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "/var/lib/jweave",
            description = "The router's data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--docker-host", paramLabel = "URI", defaultValue = "unix:///var/run/docker.sock",
            description = "The local dockerd, which runs the router container (default: ${DEFAULT-VALUE}).")
    String dockerHost;

    @Override
    public Integer call() throws Exception {
        try (DockerEngine docker = new DockerEngine(dockerHost)) {
            if (docker.ping() && RouterContainer.stop(docker.client())) {
                return 0;
            }
        }
        Optional<ProcessHandle> p = Background.running(dataDir.toAbsolutePath());
        if (p.isEmpty()) {
            // a router container removed by other means leaves its password copy: remove it here too
            Path secret = RouterContainer.passwordFile(dataDir.toAbsolutePath());
            boolean removed = Files.deleteIfExists(secret);
            System.out.println("no jweave router is running (no container " + RouterContainer.NAME + " at " + dockerHost
                    + ", no router process for " + dataDir + ")" + (removed ? "; password copy " + secret + " removed" : ""));
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
