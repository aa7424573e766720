package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jweave dns-args}: the {@code docker run} flags that point a container at jweave's DNS. */
@Command(name = "dns-args", description = {
        "Print the docker run flags that point containers at jweave's DNS.",
        "%nAsks the running router, so they match its --dns-address and --dns-domain:",
        "  docker run $(jweave dns-args) --network blue ..."})
public final class DnsArgsCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Override
    public Integer call() throws Exception {
        JsonNode dns = router.getJson("/status").path("dns");
        if (dns.isMissingNode() || dns.isNull()) {
            throw new IllegalStateException("the router does not report a DNS server (is it an older version?)");
        }
        System.out.println("--dns " + dns.path("address").asText() + " --dns-search " + dns.path("domain").asText());
        return 0;
    }
}
