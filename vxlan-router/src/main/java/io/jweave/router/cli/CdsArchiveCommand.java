package io.jweave.router.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jweave cds-archive [--output FILE]} (hidden; ./jweave runs it): makes the router's
 * class-data-sharing archive for the JVM and class path this command runs with, by a training
 * start of the router in a throwaway network namespace ({@link ClassDataArchive}). Needs root.
 */
@Command(name = "cds-archive", hidden = true, description = "Make the router's class-data-sharing archive "
        + "(a training start of the router in a throwaway network namespace; needs root).")
public final class CdsArchiveCommand implements Callable<Integer> {

    @Option(names = "--output", paramLabel = "FILE",
            description = "Where to write the archive (default: the one ./jweave uses, vxlan-router/target/jweave-router.jsa).")
    Path output;

    @Override
    public Integer call() {
        Path out = output != null ? output : RouterImage.home().resolve("vxlan-router/target/jweave-router.jsa");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ClassDataArchive.train(new ClassDataArchive.Training(java,
                RouterImage.jvmOptions(RouterImage.home().resolve("packaging/jvm.options")),
                System.getProperty("java.class.path"), null, out.toAbsolutePath()), true);
        return 0;
    }
}
