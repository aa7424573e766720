package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code jweave dns-lookup NAME}: the records this router answers NAME with. */
@Command(name = "dns-lookup", description = {
        "Show the addresses this host's router has for NAME.",
        "%nOne per line: IP, network, owning host (on any network). Exits 1 if it has none."})
public final class DnsLookupCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Parameters(paramLabel = "NAME", description = "A name, with or without the DNS domain.")
    String name;

    @Override
    public Integer call() throws Exception {
        JsonNode r = router.getJson("/dns/lookup?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8));
        JsonNode records = r.path("records");
        if (records.isEmpty()) {
            System.err.println("jweave dns-lookup: " + r.path("name").asText(name) + ": no such name");
            return 1;
        }
        for (JsonNode rec : records) {
            String net = rec.path("network").asText();
            System.out.printf("%-16s %-16s %s%n", rec.path("ip").asText(), net.isEmpty() ? "(every network)" : net,
                    rec.path("owner").asText());
        }
        return 0;
    }
}
