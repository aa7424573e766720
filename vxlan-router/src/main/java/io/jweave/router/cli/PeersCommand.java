package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jweave peers}: the routers of the mesh and the join targets, with their state. */
@Command(name = "peers", description = {
        "List the routers of the mesh and the join targets, with their state.",
        "%nThe join targets are the launch peers, plus 'jweave connect', minus 'jweave forget'. STATE is "
                + "connected (in the mesh), departed (left after a clean stop), unreachable (gone without a clean "
                + "stop; its endpoints stay programmed for the reclaim grace) or connecting (a join target not in "
                + "the mesh: unreachable, or merging) or refused (wrong password or none, on either side; the reason "
                + "follows). ENCRYPTED: whether the traffic with it goes through the encrypted tunnel (a mesh with a "
                + "password). DATAPATH (connected peers): vxlan (the kernel's), tunnel (userspace over UDP), tcp "
                + "(userspace over TCP) or down, then why and since when, and the heartbeats' round-trip time and loss."})
public final class PeersCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Option(names = "--json", description = "Print the router's answer (GET /peers) as JSON.")
    boolean json;

    @Override
    public Integer call() {
        if (json) {
            System.out.println(router.get("/peers").trim());
            return 0;
        }
        JsonNode r = router.getJson("/peers");
        print(r.path("peers"));
        return 0;
    }

    /** The peer table (also used by {@code status}). */
    static void print(JsonNode peers) {
        System.out.printf("  %-20s %-22s %-12s %-21s %-11s %-9s %s%n", "NAME", "ADDRESS", "STATE", "SINCE", "JOIN-TARGET",
                "ENCRYPTED", "DATAPATH");
        for (JsonNode p : peers) {
            String name = RouterClient.text(p, "name", "-");
            if (p.path("self").asBoolean()) {
                name += " (self)";
            }
            String since = RouterClient.text(p, "since", "-");
            if (since.length() > 19) {
                since = since.substring(0, 19).replace('T', ' ');
            }
            System.out.printf("  %-20s %-22s %-12s %-21s %-11s %-9s %s%n", name, RouterClient.text(p, "address", "-"),
                    RouterClient.text(p, "state", "-"), since, p.path("joinTarget").asBoolean() ? "yes" : "no",
                    p.path("encrypted").asBoolean() ? "yes" : "no", RouterClient.text(p, "datapath", "-"));
            if (p.hasNonNull("reason")) {
                System.out.printf("    refused: %s%n", p.path("reason").asText());
            }
            if (p.hasNonNull("datapath")) {
                String dpSince = RouterClient.text(p, "datapathSince", "-");
                if (dpSince.length() > 19) {
                    dpSince = dpSince.substring(0, 19).replace('T', ' ');
                }
                String rtt = p.hasNonNull("heartbeatRttMs") ? String.format("%.2f ms", p.path("heartbeatRttMs").asDouble())
                        : "-";
                System.out.printf("    %s since %s: %s; heartbeat rtt %s, loss %.0f%%%n", p.path("datapath").asText(),
                        dpSince, RouterClient.text(p, "datapathReason", "-"), rtt, 100 * p.path("heartbeatLoss").asDouble());
            }
        }
    }
}
