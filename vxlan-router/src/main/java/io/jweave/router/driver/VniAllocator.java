package io.jweave.router.driver;

import java.util.Set;

/**
 * Chooses the VXLAN network identifier of a network being created on this host. The VNI must be
 * the same on every host of the mesh, so the mesh implementation answers with the VNI of the mesh
 * network that has this subnet, or claims a new one cluster-wide; it must answer quickly.
 */
public interface VniAllocator {
    int FIRST_VNI = 4096;
    int LAST_VNI = 0xFFFFFF;

    /**
     * @param subnet the network's IPv4 subnet (its identity across hosts)
     * @param inUse  VNIs of the networks this host already has
     */
    int vniFor(String subnet, Set<Integer> inUse);

    /** The network was deleted on this host. */
    default void released(String subnet, int vni) {
    }

    /** A single host: the lowest VNI not in use here. */
    static VniAllocator local() {
        return (subnet, inUse) -> {
            for (int v = FIRST_VNI; v <= LAST_VNI; v++) {
                if (!inUse.contains(v)) {
                    return v;
                }
            }
            throw new io.jweave.plugin.PluginException("no free VXLAN network identifier left");
        };
    }
}
