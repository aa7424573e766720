package io.jweave.plugin;

/**
 * Docker's {@code NetworkDriver.*} calls, one method per call. Implemented by the router and passed
 * to {@link PluginServer}; this module only parses, validates and answers.
 *
 * <p>Methods run on the server's small call executor, never on the I/O thread, but Docker has no
 * timeout and may hold locks while it waits: answer from local state, quickly, and never call the
 * Docker API from here. Throw {@link PluginException} to refuse a call with a message for the user;
 * any other exception is reported as an internal error. Methods returning {@code void} answer
 * {@code {}}.
 *
 * <p>Defaults: capabilities are jweave's constants; EndpointOperInfo answers {@code {"Value":{}}};
 * Program/RevokeExternalConnectivity and DiscoverNew/Delete do nothing and answer {@code {}};
 * AllocateNetwork echoes the options; FreeNetwork does nothing.
 */
public interface NetworkDriver {

    /**
     * {@code NetworkDriver.GetCapabilities}; mandatory for Docker. Keep the default for jweave.
     * (Named apart from {@link IpamDriver#getIpamCapabilities()} so one class can implement both.)
     */
    default NetworkCapabilities getNetworkCapabilities() {
        return NetworkCapabilities.JWEAVE;
    }

    /** {@code NetworkDriver.CreateNetwork}. */
    void createNetwork(CreateNetworkRequest request);

    /** {@code NetworkDriver.DeleteNetwork}; errors are only logged by Docker. */
    void deleteNetwork(DeleteNetworkRequest request);

    /**
     * {@code NetworkDriver.CreateEndpoint}. Return {@link CreateEndpointResponse#NONE} or a MAC; a
     * MAC is only sent to Docker when the request had none.
     */
    CreateEndpointResponse createEndpoint(CreateEndpointRequest request);

    /** {@code NetworkDriver.EndpointOperInfo}. */
    default EndpointOperInfoResponse endpointOperInfo(EndpointOperInfoRequest request) {
        return EndpointOperInfoResponse.EMPTY;
    }

    /** {@code NetworkDriver.Join}. */
    JoinResponse join(JoinRequest request);

    /** {@code NetworkDriver.Leave}; errors are only logged by Docker. */
    void leave(LeaveRequest request);

    /** {@code NetworkDriver.DeleteEndpoint}; errors are only logged by Docker. */
    void deleteEndpoint(DeleteEndpointRequest request);

    /** {@code NetworkDriver.ProgramExternalConnectivity}: gateway endpoints only. An error fails the join. */
    default void programExternalConnectivity(ProgramExternalConnectivityRequest request) {
    }

    /** {@code NetworkDriver.RevokeExternalConnectivity}. */
    default void revokeExternalConnectivity(RevokeExternalConnectivityRequest request) {
    }

    /** {@code NetworkDriver.DiscoverNew}: swarm/cluster-store node discovery; jweave ignores it. */
    default void discoverNew(DiscoveryNotification notification) {
    }

    /** {@code NetworkDriver.DiscoverDelete}. */
    default void discoverDelete(DiscoveryNotification notification) {
    }

    /** {@code NetworkDriver.AllocateNetwork}: swarm managers only; echoes the options. */
    default AllocateNetworkResponse allocateNetwork(AllocateNetworkRequest request) {
        return new AllocateNetworkResponse(request.options());
    }

    /** {@code NetworkDriver.FreeNetwork}: swarm managers only. */
    default void freeNetwork(FreeNetworkRequest request) {
    }
}
