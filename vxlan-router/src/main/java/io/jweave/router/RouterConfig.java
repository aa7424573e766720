package io.jweave.router;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a router is started with ({@code jweave launch} options).
 *
 * @param name            this router's name, unique in the mesh (default: the host name)
 * @param advertiseAddr   underlay address: VXLAN local address and the mesh's bind address
 * @param dockerHost      the local dockerd's API ({@code unix:///var/run/docker.sock})
 * @param pluginSocket    where Docker finds the plugin ({@code /run/docker/plugins/jweave.sock})
 * @param dataDir         persistent state ({@code /var/lib/jweave})
 * @param ipallocRange    range automatic pools come from ({@code 10.32.0.0/12})
 * @param subnetSize      prefix length of automatic pools (24)
 * @param dnsDomain       DNS domain of container names ({@code jweave.local})
 * @param vxlanPort       VXLAN UDP port (4789)
 * @param peers           other routers to join (host names or addresses, optionally with :port)
 * @param meshPort        TCP port of the mesh (Hazelcast), on the advertise address (6783)
 * @param clusterName     name of the mesh; routers only join a mesh of the same name
 * @param reclaimGrace    how long a host may be gone before its address blocks and endpoints are reclaimed
 */
public record RouterConfig(String name, InetAddress advertiseAddr, String dockerHost, Path pluginSocket,
                           Path dataDir, String ipallocRange, int subnetSize, String dnsDomain, int vxlanPort,
                           List<String> peers, int meshPort, String clusterName, java.time.Duration reclaimGrace) {

    public RouterConfig {
        peers = List.copyOf(peers);
    }

    /** Where the per-network namespaces are bind-mounted. */
    public Path netnsDir() {
        return dataDir.resolve("netns");
    }
}
