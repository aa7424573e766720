package io.jweave.plugin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake NetworkDriver + IpamDriver for wire tests: records every request, answers with fixed
 * values from the protocol reference, and lets a test run a hook inside any call (to block or fail).
 * Program/RevokeExternalConnectivity, DiscoverNew/Delete, AllocateNetwork, FreeNetwork and
 * EndpointOperInfo are deliberately left to the interfaces' defaults.
 */
final class RecordingDriver implements NetworkDriver, IpamDriver {

    record Call(String method, Object request) {
    }

    @FunctionalInterface
    interface Hook {
        void run(String method, Object request) throws Exception;
    }

    static final String MAC = "02:42:0a:28:00:05";

    final List<Call> calls = new CopyOnWriteArrayList<>();
    volatile Hook hook = (m, r) -> { };
    /** Overrides for answers. */
    volatile JoinResponse joinResponse = new JoinResponse(
            new InterfaceName("vethjw5a3f9c01", "eth"), "10.40.0.1", "",
            List.of(StaticRoute.connected("224.0.0.0/4"), StaticRoute.nextHop("10.41.0.0/16", "10.40.0.1")),
            false);
    volatile RequestAddressResponse addressResponse = RequestAddressResponse.of("10.40.1.7/16");

    private void record(String method, Object request) {
        calls.add(new Call(method, request));
        try {
            hook.run(method, request);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    <T> T last(String method) {
        for (int i = calls.size() - 1; i >= 0; i--) {
            if (calls.get(i).method().equals(method)) {
                return (T) calls.get(i).request();
            }
        }
        throw new AssertionError("no " + method + " call recorded; calls: " + calls);
    }

    List<String> methods() {
        return calls.stream().map(Call::method).toList();
    }

    @Override
    public void createNetwork(CreateNetworkRequest request) {
        record("CreateNetwork", request);
        String fail = request.options().genericOption("test.fail").orElse("");
        if (fail.equals("user")) {
            throw new PluginException("network says no");
        }
        if (fail.equals("bug")) {
            throw new IllegalStateException("boom");
        }
        if (fail.equals("npe")) {
            throw new NullPointerException();
        }
    }

    @Override
    public void deleteNetwork(DeleteNetworkRequest request) {
        record("DeleteNetwork", request);
    }

    @Override
    public CreateEndpointResponse createEndpoint(CreateEndpointRequest request) {
        record("CreateEndpoint", request);
        return CreateEndpointResponse.withMac(MAC);
    }

    @Override
    public JoinResponse join(JoinRequest request) {
        record("Join", request);
        return joinResponse;
    }

    @Override
    public void leave(LeaveRequest request) {
        record("Leave", request);
    }

    @Override
    public void deleteEndpoint(DeleteEndpointRequest request) {
        record("DeleteEndpoint", request);
    }

    @Override
    public RequestPoolResponse requestPool(RequestPoolRequest request) {
        record("RequestPool", request);
        if (request.pool().equals("10.99.0.0/16")) {
            throw new PluginException("Pool overlaps with other one on this address space");
        }
        String pool = request.pool().isEmpty() ? "10.40.0.0/16" : request.pool();
        return new RequestPoolResponse("jweave/" + pool + "/" + request.subPool(), pool, Map.of());
    }

    @Override
    public void releasePool(ReleasePoolRequest request) {
        record("ReleasePool", request);
    }

    @Override
    public RequestAddressResponse requestAddress(RequestAddressRequest request) {
        record("RequestAddress", request);
        if (request.address().equals("10.40.0.9")) {
            throw new PluginException("Address already in use");
        }
        return addressResponse;
    }

    @Override
    public void releaseAddress(ReleaseAddressRequest request) {
        record("ReleaseAddress", request);
    }
}
