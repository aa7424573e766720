package io.jweave.router.docker;

import java.util.List;
import java.util.Map;

/**
 * What the router needs of a container (from {@code docker inspect}): its names and, per network,
 * its address and aliases.
 *
 * @param id       full container id
 * @param name     container name without Docker's leading {@code /}
 * @param hostname {@code Config.Hostname}
 * @param running  {@code State.Running}
 * @param networks network name → attachment
 */
public record ContainerInfo(String id, String name, String hostname, boolean running, Map<String, Attachment> networks) {

    public ContainerInfo {
        networks = Map.copyOf(networks);
    }

    /** A container's endpoint on one network. */
    public record Attachment(String networkId, String ip, List<String> aliases) {
        public Attachment {
            ip = ip == null ? "" : ip;
            aliases = aliases == null ? List.of() : List.copyOf(aliases);
        }
    }
}
