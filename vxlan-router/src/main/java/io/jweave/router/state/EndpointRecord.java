package io.jweave.router.state;

/**
 * A local endpoint: a container's interface on a jweave network. {@code address} is CIDR (as
 * Docker gave it), {@code ifName} the host-side veth name handed to Docker in Join.
 */
public record EndpointRecord(String endpointId, String networkId, String address, String mac, String ifName,
                             String sandboxKey) {

    public EndpointRecord withSandbox(String key) {
        return new EndpointRecord(endpointId, networkId, address, mac, ifName, key);
    }
}
