package io.jweave.router.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code jweave dns-remove [IP...] NAME}: removes manual records added on this host. */
@Command(name = "dns-remove", description = {
        "Remove DNS records added on this host with dns-add: NAME for the IPs given, or for all its IPs."})
public final class DnsRemoveCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Parameters(paramLabel = "[IP...] NAME", arity = "1..*", description = "Optional IPv4 addresses, then the name.")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        String name = args.get(args.size() - 1);
        List<String> ips = args.subList(0, args.size() - 1);
        router.post("/dns/remove", Map.of("ips", ips, "name", name));
        System.out.println("removed " + name + (ips.isEmpty() ? "" : " -> " + String.join(" ", ips)));
        return 0;
    }
}
