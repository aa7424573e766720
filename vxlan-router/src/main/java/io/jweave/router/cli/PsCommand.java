package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jweave ps}: this host's endpoints with their containers. */
@Command(name = "ps", description = {
        "List this host's containers on jweave networks: container, network, IP, MAC.",
        "%nThe container ID and name come from the local dockerd at the moment of the call; an endpoint "
                + "whose container dockerd does not list (being created or removed) shows '-'."})
public final class PsCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Option(names = "--json", description = "Print the router's answer (GET /endpoints, local and remote) as JSON.")
    boolean json;

    @Override
    public Integer call() {
        if (json) {
            System.out.println(router.get("/endpoints").trim());
            return 0;
        }
        JsonNode r = router.getJson("/endpoints");
        System.out.printf("%-12s %-20s %-16s %-18s %s%n", "CONTAINER", "NAME", "NETWORK", "IP", "MAC");
        for (JsonNode e : r.path("local")) {
            String name = RouterClient.text(e, "containerName", "-");
            System.out.printf("%-12s %-20s %-16s %-18s %s%n", RouterClient.shortId(RouterClient.text(e, "containerId", null)),
                    name.startsWith("/") ? name.substring(1) : name, RouterClient.text(e, "network", "-"),
                    RouterClient.text(e, "address", "-"), RouterClient.text(e, "mac", "-"));
        }
        if (r.hasNonNull("dockerError")) {
            System.err.println("jweave ps: " + r.get("dockerError").asText());
        }
        return 0;
    }
}
