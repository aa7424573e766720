package io.jweave.router.cli;

import io.jweave.router.docker.DockerEngine;
import java.nio.file.Files;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jweave image}: builds the router image offline and loads it into the local dockerd. */
@Command(name = "image", description = {
        "Build the router image jweave/router:<version> without a registry (jlink runtime + router jars,",
        "cached under target/image/) and load it into dockerd unless --no-load; prints its name and size.",
        "packaging/Dockerfile builds the same image where a registry is reachable."})
public final class ImageCommand implements Callable<Integer> {

    @Option(names = "--docker-host", paramLabel = "URI", defaultValue = "unix:///var/run/docker.sock",
            description = "The dockerd to load the image into (default: ${DEFAULT-VALUE}).")
    String dockerHost;

    @Option(names = "--no-load", description = "Only build the archive (docker load format) and print its path.")
    boolean noLoad;

    @Override
    public Integer call() {
        if (noLoad) {
            RouterImage.Archive a = RouterImage.build(true);
            System.out.println(a.name() + " " + a.tar() + " " + mb(sizeOf(a.tar())) + " (archive)");
            return 0;
        }
        try (DockerEngine docker = new DockerEngine(dockerHost)) {
            if (!docker.ping()) {
                throw new IllegalStateException("dockerd does not answer at " + dockerHost + " (use --docker-host or --no-load)");
            }
            long size = RouterImage.ensureLoaded(docker.client(), true);
            System.out.println(RouterImage.name() + " " + mb(size));
        }
        return 0;
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static long sizeOf(java.nio.file.Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
