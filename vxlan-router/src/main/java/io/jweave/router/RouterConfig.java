package io.jweave.router;

import java.net.InetAddress;
import java.net.InetSocketAddress;
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
 * @param dnsAddress      address of the DNS server as containers see it, on every jweave network of every host
 *                        ({@code 169.254.53.53}; containers use it with {@code --dns})
 * @param dnsTtl          TTL in seconds of the DNS answers for container names (5)
 * @param dnsUpstreams    upstream resolvers for other names ({@code IP} or {@code IP:port}); empty = the host's
 *                        {@code /etc/resolv.conf}
 * @param httpAddr        loopback TCP address of the HTTP status API and {@code /metrics} ({@code 127.0.0.1:6784});
 *                        the same API is always served on {@code DATA-DIR/status.sock}
 * @param password        the mesh's shared secret ({@code --password-file} or {@code JWEAVE_PASSWORD}); null = no
 *                        password, the mesh is not private. Its {@code toString} is redacted, so is this record's
 * @param tunnelPort      UDP port of the tunnel between routers, on the advertise address (6783): every packet
 *                        between hosts with a password, a peer's packets when the kernel path to it fails without
 * @param tunnelTcpPort   TCP port of the tunnel's last resort when no UDP passes between two hosts (6785)
 * @param rekeyAfter      how long the tunnel uses one session key before it agrees on the next (120 s; shorter only in
 *                        tests, the hidden option {@code --rekey-interval})
 */
public record RouterConfig(String name, InetAddress advertiseAddr, String dockerHost, Path pluginSocket,
                           Path dataDir, String ipallocRange, int subnetSize, String dnsDomain, int vxlanPort,
                           List<String> peers, int meshPort, String clusterName, java.time.Duration reclaimGrace,
                           InetAddress dnsAddress, int dnsTtl, List<String> dnsUpstreams, InetSocketAddress httpAddr,
                           MeshPassword password, int tunnelPort, java.time.Duration rekeyAfter, int tunnelTcpPort) {

    /** Default of {@link #tunnelPort()}. */
    public static final int DEFAULT_TUNNEL_PORT = 6783;
    /** Default of {@link #tunnelTcpPort()}. */
    public static final int DEFAULT_TUNNEL_TCP_PORT = 6785;
    /** Default (and longest allowed) {@link #rekeyAfter()}. */
    public static final java.time.Duration DEFAULT_REKEY_AFTER = java.time.Duration.ofSeconds(120);

    public RouterConfig {
        peers = List.copyOf(peers);
        dnsUpstreams = List.copyOf(dnsUpstreams);
        if (tunnelPort < 1 || tunnelPort > 65535) {
            throw new IllegalArgumentException("tunnel port " + tunnelPort + " is not a UDP port (1-65535)");
        }
        if (tunnelTcpPort < 1 || tunnelTcpPort > 65535) {
            throw new IllegalArgumentException("tunnel tcp port " + tunnelTcpPort + " is not a TCP port (1-65535)");
        }
        if (tunnelTcpPort == meshPort) {
            throw new IllegalArgumentException("tunnel tcp port " + tunnelTcpPort + " is also the mesh port: choose another");
        }
        if (rekeyAfter == null || rekeyAfter.isNegative() || rekeyAfter.isZero()) {
            throw new IllegalArgumentException("rekeyAfter must be positive, not " + rekeyAfter);
        }
    }

    /** Whether the mesh is private (a password was given). */
    public boolean hasPassword() {
        return password != null;
    }

    /** Where the per-network namespaces are bind-mounted. */
    public Path netnsDir() {
        return dataDir.resolve("netns");
    }
}
