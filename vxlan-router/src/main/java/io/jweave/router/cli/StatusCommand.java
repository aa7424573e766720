package io.jweave.router.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.router.status.StatusClient;
import io.jweave.router.status.StatusReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jweave status}: what this host's router knows. */
@Command(name = "status", description = "Show this host's router: name, address, peers, networks, local endpoints, IPAM usage, DNS.")
public final class StatusCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "/var/lib/jweave",
            description = "The router's data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--json", description = "Print the full report as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String body = StatusClient.get(dataDir.toAbsolutePath(), "/status");
        if (json) {
            System.out.println(body.trim());
            return 0;
        }
        StatusReport r = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue(body, StatusReport.class);
        System.out.printf("router   %s (jweave %s), advertise %s, up %d s%n", r.name(), r.version(),
                r.advertiseAddress(), r.uptimeSeconds());
        System.out.printf("plugin   %s%ndata     %s%n", r.pluginSocket(), r.dataDir());
        System.out.printf("%npeers (%d)%n", r.peers().size());
        for (StatusReport.Peer p : r.peers()) {
            System.out.printf("  %-20s %-16s %s%s%n", p.name(), p.address(), p.state(), p.self() ? " (this router)" : "");
        }
        System.out.printf("%nnetworks (%d)%n", r.networks().size());
        if (!r.networks().isEmpty()) {
            System.out.printf("  %-16s %-9s %-18s %-5s %s%n", "NAME", "VNI", "SUBNET", "MTU", "ENDPOINTS local/remote");
        }
        for (StatusReport.Network n : r.networks()) {
            System.out.printf("  %-16s %-9d %-18s %-5d %d/%d%n", n.name() == null ? n.networkId().substring(0, 12) : n.name(),
                    n.vni(), n.subnet(), n.mtu(), n.localEndpoints(), n.remoteEndpoints());
        }
        System.out.printf("%nlocal endpoints (%d)%n", r.endpoints().size());
        for (StatusReport.Endpoint e : r.endpoints()) {
            System.out.printf("  %-12s %-16s %-18s %s %s%n", e.endpointId().substring(0, 12), e.network(), e.address(),
                    e.mac(), e.joined() ? "joined" : "created");
        }
        if (r.ipam() != null) {
            System.out.printf("%nipam: automatic /%d pools from %s%n", r.ipam().autoPrefix(), r.ipam().autoRange());
            for (StatusReport.Pool p : r.ipam().pools()) {
                System.out.printf("  %-18s range %-18s used %d, free %d%s%n", p.pool(), p.range(), p.used(), p.free(),
                        p.automatic() ? " (automatic)" : "");
            }
        }
        if (r.dns() != null) {
            StatusReport.Dns d = r.dns();
            System.out.printf("%ndns: %s:53, domain %s, ttl %d s, upstreams %s%n", d.address(), d.domain(), d.ttl(),
                    d.upstreams().isEmpty() ? "(none)" : String.join(" ", d.upstreams()));
            System.out.printf("  records %d%s%n", d.records(), d.kept() > 0 ? " (" + d.kept() + " kept for hosts that vanished)" : "");
            for (StatusReport.DnsListener l : d.listeners()) {
                System.out.printf("  listening in %-16s (vni %d) on %s%n", l.network(), l.vni(), l.address());
            }
            if (d.stats() != null) {
                StringBuilder sb = new StringBuilder("  ");
                d.stats().forEach((k, v) -> sb.append(k).append(' ').append(v).append("  "));
                System.out.println(sb.toString().stripTrailing());
            }
        }
        return 0;
    }
}
