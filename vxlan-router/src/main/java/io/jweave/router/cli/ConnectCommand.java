package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code jweave connect PEER}: joins another router's mesh now and remembers it. */
@Command(name = "connect", description = {
        "Join the mesh of another router now, and remember it.",
        "%nAdds PEER to this router's join targets (also after a restart; stored in DATA-DIR/peers.json) and "
                + "merges the two meshes within seconds; 'jweave peers' shows the progress. Connecting to a peer "
                + "that is already a member only adds the join target."})
public final class ConnectCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Parameters(index = "0", paramLabel = "PEER", description = "Host name or address of another router, optionally with :PORT (default: the mesh port).")
    String peer;

    @Override
    public Integer call() {
        JsonNode r = router.post("/connect", Map.of("peer", peer));
        System.out.printf("%s %s; join targets: %s%n", r.path("peer").asText(),
                r.path("changed").asBoolean() ? "added, joining its mesh" : "was already a join target",
                String.join(", ", ForgetCommand.list(r.path("joinTargets"))));
        return 0;
    }
}
