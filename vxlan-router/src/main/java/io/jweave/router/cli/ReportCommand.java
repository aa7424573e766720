package io.jweave.router.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jweave report}: everything the router knows, as JSON. */
@Command(name = "report", description = {
        "Print everything the router knows, as JSON.",
        "%nStatus, peers and join targets, local and remote endpoints, IPAM, mesh state (known hosts, "
                + "quorum) and configuration (GET /report). Attach it to bug reports."})
public final class ReportCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Override
    public Integer call() {
        System.out.println(router.get("/report").trim());
        return 0;
    }
}
