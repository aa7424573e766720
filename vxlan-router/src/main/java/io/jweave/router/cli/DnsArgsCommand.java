package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.router.status.StatusClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jweave dns-args}: the {@code docker run} flags that point a container at jweave's DNS. */
@Command(name = "dns-args", description = {
        "Print the docker run flags that make containers use jweave's DNS on this host",
        "(asks the running router, so they match its --dns-address and --dns-domain):",
        "  docker run $(jweave dns-args) --network blue ..."})
public final class DnsArgsCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "/var/lib/jweave",
            description = "The router's data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        JsonNode dns = new ObjectMapper().readTree(StatusClient.get(dataDir.toAbsolutePath(), "/status")).path("dns");
        if (dns.isMissingNode() || dns.isNull()) {
            throw new IllegalStateException("the router does not report a DNS server (is it an older version?)");
        }
        System.out.println("--dns " + dns.path("address").asText() + " --dns-search " + dns.path("domain").asText());
        return 0;
    }
}
