package io.jweave.router.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.router.status.StatusReport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jweave status}: what this host's router knows. */
@Command(name = "status", description = {
        "Show this host's router: peers, networks, endpoints, IPAM usage, DNS.",
        "%nName, address, peers with their state, networks (endpoints here and on other hosts), local endpoints"
                + ", IPAM usage per pool and the DNS server. More: 'jweave peers', 'jweave ps', 'jweave report'."})
public final class StatusCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Option(names = "--json", description = "Print the router's answer (GET /status) as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String body = router.get("/status");
        if (json) {
            System.out.println(body.trim());
            return 0;
        }
        ObjectMapper om = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        StatusReport r = om.readValue(body, StatusReport.class);
        JsonNode tree = om.readTree(body);
        System.out.printf("router   %s (jweave %s), advertise %s, up %d s%n", r.name(), r.version(),
                r.advertiseAddress(), r.uptimeSeconds());
        System.out.printf("plugin   %s%ndata     %s%n", r.pluginSocket(), r.dataDir());
        boolean encrypted = r.peers().stream().anyMatch(p -> p.self() && p.encrypted());
        System.out.printf("mesh     %s%n", encrypted ? "private: password set, everything between routers encrypted"
                : "open: no password (anyone who reaches this host's mesh port can join; see docs/security.md)");
        long connected = r.peers().stream().filter(p -> "connected".equals(p.state())).count();
        System.out.printf("%npeers (%d connected of %d)%n", connected, r.peers().size());
        PeersCommand.print(tree.path("peers"));
        System.out.printf("%nnetworks (%d)%n", r.networks().size());
        if (!r.networks().isEmpty()) {
            System.out.printf("  %-16s %-9s %-18s %-5s %s%n", "NAME", "VNI", "SUBNET", "MTU", "ENDPOINTS local/remote");
        }
        for (StatusReport.Network n : r.networks()) {
            System.out.printf("  %-16s %-9d %-18s %-5d %d/%d%n", n.name() == null ? n.networkId().substring(0, 12) : n.name(),
                    n.vni(), n.subnet(), n.mtu(), n.localEndpoints(), n.remoteEndpoints());
        }
        System.out.printf("%nlocal endpoints (%d; containers: jweave ps)%n", r.endpoints().size());
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
