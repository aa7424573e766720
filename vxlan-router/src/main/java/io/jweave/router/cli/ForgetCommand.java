package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code jweave forget PEER}: stops joining a peer, also after a restart. */
@Command(name = "forget", description = {
        "Stop joining a peer, also after a restart.",
        "%nRemoves PEER from this router's join targets (launch peers and 'jweave connect'; stored in "
                + "DATA-DIR/peers.json). The router no longer joins it or looks for it after a split; a router that "
                + "is a member of the mesh now stays a member. Fails if PEER is not a join target."})
public final class ForgetCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Parameters(index = "0", paramLabel = "PEER", description = "A join target as 'jweave peers' lists it (host or address, optionally with :PORT).")
    String peer;

    @Override
    public Integer call() {
        JsonNode r = router.post("/forget", Map.of("peer", peer));
        List<String> left = list(r.path("joinTargets"));
        System.out.printf("%s forgotten; join targets: %s%n", r.path("peer").asText(),
                left.isEmpty() ? "none" : String.join(", ", left));
        return 0;
    }

    static List<String> list(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
