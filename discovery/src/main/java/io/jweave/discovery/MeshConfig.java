package io.jweave.discovery;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How this router joins the mesh.
 *
 * @param name          this host's name in the mesh ({@code --name}); unique among live members
 * @param advertise     the underlay address Hazelcast binds to and announces (never the wildcard)
 * @param port          the TCP port (one port, no auto-increment); default {@value #DEFAULT_PORT}
 * @param peers         peers given at launch: host names or addresses, each with an optional
 *                      {@code :port} (default: {@code port}); empty = start a mesh of one
 * @param clusterName   Hazelcast cluster name; members with another name are refused
 * @param reclaimGrace  how long a departed host keeps its claims (address blocks, pools) before
 *                      the majority reclaims them; a host cut off from the majority for half of
 *                      this stops using its claims (see README)
 * @param failureTimeout how long without heartbeats before a member is declared gone
 * @param mergeInterval how often a split side looks for the other side to merge with
 * @param claimTimeout  how long a claim waits for the votes of the other members
 */
public record MeshConfig(String name, InetAddress advertise, int port, List<String> peers,
                         String clusterName, Duration reclaimGrace, Duration failureTimeout,
                         Duration mergeInterval, Duration claimTimeout) {

    public static final int DEFAULT_PORT = 6783;
    public static final String DEFAULT_CLUSTER_NAME = "jweave";
    public static final Duration DEFAULT_RECLAIM_GRACE = Duration.ofMinutes(10);
    public static final Duration DEFAULT_FAILURE_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_MERGE_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_CLAIM_TIMEOUT = Duration.ofSeconds(2);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public MeshConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(advertise, "advertise");
        Objects.requireNonNull(peers, "peers");
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(reclaimGrace, "reclaimGrace");
        Objects.requireNonNull(failureTimeout, "failureTimeout");
        Objects.requireNonNull(mergeInterval, "mergeInterval");
        Objects.requireNonNull(claimTimeout, "claimTimeout");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid mesh name \"" + name
                    + "\": use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (advertise.isAnyLocalAddress() || advertise.isMulticastAddress()) {
            throw new IllegalArgumentException("advertise address " + advertise.getHostAddress()
                    + " is not a unicast address of this host; give the underlay address");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid mesh port " + port);
        }
        if (clusterName.isBlank()) {
            throw new IllegalArgumentException("cluster name must not be empty");
        }
        if (failureTimeout.toSeconds() < 2) {
            throw new IllegalArgumentException("failure timeout must be at least 2 s, got " + failureTimeout);
        }
        if (mergeInterval.toSeconds() < 1 || claimTimeout.isNegative() || claimTimeout.isZero()
                || reclaimGrace.isNegative()) {
            throw new IllegalArgumentException("merge interval, claim timeout and reclaim grace must be positive");
        }
        peers = List.copyOf(peers);
    }

    /** Defaults for everything but the name and the address. */
    public static MeshConfig of(String name, InetAddress advertise) {
        return new MeshConfig(name, advertise, DEFAULT_PORT, List.of(), DEFAULT_CLUSTER_NAME,
                DEFAULT_RECLAIM_GRACE, DEFAULT_FAILURE_TIMEOUT, DEFAULT_MERGE_INTERVAL, DEFAULT_CLAIM_TIMEOUT);
    }

    public MeshConfig withPort(int p) {
        return new MeshConfig(name, advertise, p, peers, clusterName, reclaimGrace, failureTimeout, mergeInterval, claimTimeout);
    }

    public MeshConfig withPeers(List<String> ps) {
        return new MeshConfig(name, advertise, port, ps, clusterName, reclaimGrace, failureTimeout, mergeInterval, claimTimeout);
    }

    public MeshConfig withClusterName(String c) {
        return new MeshConfig(name, advertise, port, peers, c, reclaimGrace, failureTimeout, mergeInterval, claimTimeout);
    }

    public MeshConfig withReclaimGrace(Duration g) {
        return new MeshConfig(name, advertise, port, peers, clusterName, g, failureTimeout, mergeInterval, claimTimeout);
    }

    public MeshConfig withFailureTimeout(Duration f) {
        return new MeshConfig(name, advertise, port, peers, clusterName, reclaimGrace, f, mergeInterval, claimTimeout);
    }

    public MeshConfig withMergeInterval(Duration m) {
        return new MeshConfig(name, advertise, port, peers, clusterName, reclaimGrace, failureTimeout, m, claimTimeout);
    }

    public MeshConfig withClaimTimeout(Duration c) {
        return new MeshConfig(name, advertise, port, peers, clusterName, reclaimGrace, failureTimeout, mergeInterval, c);
    }

    /** Peers as {@code host:port} strings, the default port filled in (the initial join targets). */
    List<String> peerAddresses() {
        return peers.stream().map(p -> JoinTargets.normalize(p, port)).toList();
    }
}
