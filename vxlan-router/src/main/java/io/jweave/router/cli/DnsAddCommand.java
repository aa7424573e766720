package io.jweave.router.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code jweave dns-add IP... NAME}: a manual DNS record, owned by this host. */
@Command(name = "dns-add", description = {
        "Add a DNS record: NAME (in the DNS domain unless it ends with it) answers with each IP.",
        "The record is owned by this host (kept in its data directory, withdrawn when it leaves the mesh)",
        "and visible on the jweave network whose subnet holds the IP, or on every network if none does."})
public final class DnsAddCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Parameters(paramLabel = "IP... NAME", arity = "2..*", description = "One or more IPv4 addresses, then the name.")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        String name = args.get(args.size() - 1);
        List<String> ips = args.subList(0, args.size() - 1);
        router.post("/dns/add", Map.of("ips", ips, "name", name));
        System.out.println("added " + name + " -> " + String.join(" ", ips));
        return 0;
    }
}
