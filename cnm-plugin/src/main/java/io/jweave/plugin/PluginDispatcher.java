package io.jweave.plugin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Path to driver method: decodes the body, checks required fields, calls the driver, checks what it
 * returned against what Docker accepts, and encodes the answer or the error. No Netty in here;
 * {@link #dispatch} is a blocking call that runs on the call executor.
 */
final class PluginDispatcher {
    private static final Logger log = LoggerFactory.getLogger(PluginDispatcher.class);

    /** An HTTP status and a JSON body. */
    record Reply(int status, byte[] body) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static final int OK = 200;
    static final int NOT_FOUND = 404;
    static final int INTERNAL = 500;

    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.US_ASCII);
    /** Returned by call adapters of methods that answer {@code {}}. */
    private static final Object EMPTY = new Object();

    @FunctionalInterface
    private interface Call {
        Object invoke(byte[] body) throws MalformedRequest;
    }

    /** The request could not be decoded or lacked a required field. */
    static final class MalformedRequest extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedRequest(String message) {
            super(message);
        }
    }

    private final ObjectMapper mapper;
    private final PluginCallListener listener;
    private final Map<String, Call> routes = new LinkedHashMap<>();
    private final List<Class<?>> requestTypes = new ArrayList<>();

    PluginDispatcher(NetworkDriver network, IpamDriver ipam, ObjectMapper mapper, PluginCallListener listener) {
        this.mapper = mapper;
        this.listener = listener;

        noArgs("Plugin.Activate", () -> ActivateResponse.JWEAVE);

        noArgs("NetworkDriver.GetCapabilities", () -> returned(network.getNetworkCapabilities()));
        args("NetworkDriver.CreateNetwork", CreateNetworkRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            network.createNetwork(r);
            return EMPTY;
        });
        args("NetworkDriver.DeleteNetwork", DeleteNetworkRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            network.deleteNetwork(r);
            return EMPTY;
        });
        args("NetworkDriver.CreateEndpoint", CreateEndpointRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            require(r.endpointId(), "EndpointID");
            return checkCreateEndpoint(r, returned(network.createEndpoint(r)));
        });
        args("NetworkDriver.EndpointOperInfo", EndpointOperInfoRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            require(r.endpointId(), "EndpointID");
            return returned(network.endpointOperInfo(r));
        });
        args("NetworkDriver.Join", JoinRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            require(r.endpointId(), "EndpointID");
            return checkJoin(returned(network.join(r)));
        });
        args("NetworkDriver.Leave", LeaveRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            require(r.endpointId(), "EndpointID");
            network.leave(r);
            return EMPTY;
        });
        args("NetworkDriver.DeleteEndpoint", DeleteEndpointRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            require(r.endpointId(), "EndpointID");
            network.deleteEndpoint(r);
            return EMPTY;
        });
        args("NetworkDriver.ProgramExternalConnectivity", ProgramExternalConnectivityRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            require(r.endpointId(), "EndpointID");
            network.programExternalConnectivity(r);
            return EMPTY;
        });
        args("NetworkDriver.RevokeExternalConnectivity", RevokeExternalConnectivityRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            require(r.endpointId(), "EndpointID");
            network.revokeExternalConnectivity(r);
            return EMPTY;
        });
        args("NetworkDriver.DiscoverNew", DiscoveryNotification.class, r -> {
            network.discoverNew(r);
            return EMPTY;
        });
        args("NetworkDriver.DiscoverDelete", DiscoveryNotification.class, r -> {
            network.discoverDelete(r);
            return EMPTY;
        });
        args("NetworkDriver.AllocateNetwork", AllocateNetworkRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            return returned(network.allocateNetwork(r));
        });
        args("NetworkDriver.FreeNetwork", FreeNetworkRequest.class, r -> {
            require(r.networkId(), "NetworkID");
            network.freeNetwork(r);
            return EMPTY;
        });

        noArgs("IpamDriver.GetCapabilities", () -> returned(ipam.getIpamCapabilities()));
        noArgs("IpamDriver.GetDefaultAddressSpaces", () -> returned(ipam.getDefaultAddressSpaces()));
        args("IpamDriver.RequestPool", RequestPoolRequest.class, r -> {
            if (r.pool().isEmpty() && !r.subPool().isEmpty()) {
                throw new PluginException("SubPool (--ip-range) " + r.subPool() + " given without Pool (--subnet)");
            }
            return checkRequestPool(returned(ipam.requestPool(r)));
        });
        args("IpamDriver.ReleasePool", ReleasePoolRequest.class, r -> {
            require(r.poolId(), "PoolID");
            ipam.releasePool(r);
            return EMPTY;
        });
        args("IpamDriver.RequestAddress", RequestAddressRequest.class, r -> {
            require(r.poolId(), "PoolID");
            return checkRequestAddress(returned(ipam.requestAddress(r)));
        });
        args("IpamDriver.ReleaseAddress", ReleaseAddressRequest.class, r -> {
            require(r.poolId(), "PoolID");
            require(r.address(), "Address");
            ipam.releaseAddress(r);
            return EMPTY;
        });
    }

    /** The method names served, e.g. {@code NetworkDriver.Join}. */
    Set<String> methods() {
        return routes.keySet();
    }

    /** The method name for a request path ({@code /NetworkDriver.Join}), or null if not served. */
    String methodFor(String path) {
        if (path == null || !path.startsWith("/")) {
            return null;
        }
        String method = path.substring(1);
        return routes.containsKey(method) ? method : null;
    }

    /** Answer for a path nobody serves. */
    Reply notFound(String path) {
        return error(NOT_FOUND, "jweave: no such plugin method: " + path);
    }

    Reply error(int status, String message) {
        Map<String, String> body = Map.of("Err", message);
        try {
            return new Reply(status, mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode an error message", e);
        }
    }

    /**
     * Runs one call. {@code method} must come from {@link #methodFor}. Never throws: every failure is
     * turned into a 500 reply. Reports to the listener.
     */
    Reply dispatch(String method, byte[] body, long receivedNanos) {
        Call call = routes.get(method);
        Reply reply;
        PluginCallListener.Outcome outcome;
        if (call == null) {
            reply = error(NOT_FOUND, "jweave: no such plugin method: /" + method);
            outcome = PluginCallListener.Outcome.MALFORMED;
        } else {
            try {
                Object result = call.invoke(body);
                reply = new Reply(OK, result == EMPTY ? EMPTY_OBJECT : mapper.writeValueAsBytes(result));
                outcome = PluginCallListener.Outcome.OK;
                log.debug("{}: ok", method);
            } catch (MalformedRequest e) {
                String message = method + ": malformed request: " + e.getMessage();
                log.warn("{}", message);
                reply = error(INTERNAL, message);
                outcome = PluginCallListener.Outcome.MALFORMED;
            } catch (PluginException e) {
                log.info("{} refused: {}", method, e.getMessage());
                reply = error(INTERNAL, e.getMessage());
                outcome = PluginCallListener.Outcome.REFUSED;
            } catch (Throwable e) {
                // Throwable, not Exception: an unanswered call hangs Docker forever (it has no timeout).
                String text = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
                log.error("{} failed with an internal error: {}", method, text, e);
                reply = error(INTERNAL, "internal error in " + method + ": " + text);
                outcome = PluginCallListener.Outcome.INTERNAL_ERROR;
            }
        }
        long duration = System.nanoTime() - receivedNanos;
        try {
            listener.onCall(method, duration, outcome);
        } catch (RuntimeException e) {
            log.warn("plugin call listener failed for {}: {}", method, e.toString(), e);
        }
        return reply;
    }

    private void noArgs(String method, Supplier<Object> handler) {
        // Docker sends these with an empty body; whatever the body holds is ignored.
        routes.put(method, body -> handler.get());
    }

    /**
     * Builds and caches Jackson's (de)serializers for every request and response type now, so the
     * first call Docker makes is not slowed by introspection (measured: hundreds of ms cold).
     */
    void warmUp() {
        try {
            for (Class<?> type : requestTypes) {
                mapper.readValue("{}", type);
            }
            for (Object response : List.of(ActivateResponse.JWEAVE, NetworkCapabilities.JWEAVE,
                    IpamCapabilities.JWEAVE, AddressSpaces.JWEAVE, CreateEndpointResponse.withMac("02:00:00:00:00:01"),
                    JoinResponse.of("veth0", "eth"), new JoinResponse(null, "", "", List.of(StaticRoute.connected("0.0.0.0/0")), false),
                    EndpointOperInfoResponse.EMPTY, new AllocateNetworkResponse(Map.of()),
                    RequestPoolResponse.of("p", "10.0.0.0/8"), RequestAddressResponse.of("10.0.0.1/8"),
                    Map.of("Err", "x"))) {
                mapper.writeValueAsBytes(response);
            }
        } catch (IOException e) {
            throw new IllegalStateException("the plugin's own JSON types do not (de)serialize", e);
        }
    }

    private <Q> void args(String method, Class<Q> type, Function<Q, Object> handler) {
        requestTypes.add(type);
        routes.put(method, body -> {
            Q request = parse(body, type);
            try {
                return handler.apply(request);
            } catch (UncheckedMalformed e) {
                throw new MalformedRequest(e.getMessage());
            }
        });
    }

    private <Q> Q parse(byte[] body, Class<Q> type) throws MalformedRequest {
        if (isBlank(body)) {
            throw new MalformedRequest("empty body, expected a JSON object");
        }
        try {
            Q value = mapper.readValue(body, type);
            if (value == null) {
                throw new MalformedRequest("body is JSON null, expected a JSON object");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new MalformedRequest(describe(e));
        } catch (IOException e) {
            throw new MalformedRequest(e.toString());
        }
    }

    private static String describe(JsonProcessingException e) {
        StringBuilder sb = new StringBuilder();
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            sb.append("field ");
            for (JsonMappingException.Reference ref : m.getPath()) {
                if (ref.getFieldName() != null) {
                    if (sb.length() > "field ".length()) {
                        sb.append('.');
                    }
                    sb.append(ref.getFieldName());
                } else if (ref.getIndex() >= 0) {
                    sb.append('[').append(ref.getIndex()).append(']');
                }
            }
            sb.append(": ");
        }
        String original = e.getOriginalMessage();
        if (original == null) {
            original = e.getClass().getSimpleName();
        }
        // Keep the first line only: Jackson appends hints and source excerpts we do not need.
        int nl = original.indexOf('\n');
        sb.append(nl >= 0 ? original.substring(0, nl) : original);
        if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
            sb.append(" (line ").append(e.getLocation().getLineNr())
              .append(", column ").append(e.getLocation().getColumnNr()).append(')');
        }
        return sb.toString();
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    private static void require(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw new UncheckedMalformed("missing " + field);
        }
    }

    /** Lets {@link #require} be used inside {@link Function}s; unwrapped by the call adapter. */
    private static final class UncheckedMalformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UncheckedMalformed(String message) {
            super(message, null, false, false);
        }
    }

    private static <T> T returned(T value) {
        if (value == null) {
            throw new IllegalStateException("the driver returned null");
        }
        return value;
    }

    private static CreateEndpointResponse checkCreateEndpoint(CreateEndpointRequest request,
                                                               CreateEndpointResponse response) {
        String given = request.iface().macAddress();
        if (!given.isEmpty() && response.macAddress() != null) {
            // Docker refuses to have a value it already holds overwritten: answer nothing.
            if (!given.equalsIgnoreCase(response.macAddress())) {
                log.warn("NetworkDriver.CreateEndpoint {}: driver chose MAC {} but Docker gave {}; keeping Docker's",
                        request.endpointId(), response.macAddress(), given);
            }
            return CreateEndpointResponse.NONE;
        }
        return response;
    }

    private static JoinResponse checkJoin(JoinResponse response) {
        InterfaceName name = response.interfaceName();
        if (name != null) {
            if (name.srcName().isEmpty() || name.dstPrefix().isEmpty()) {
                throw new IllegalStateException("Join answer needs both SrcName and DstPrefix, got " + name);
            }
            if (name.srcName().length() > InterfaceName.MAX_NAME_LENGTH) {
                throw new IllegalStateException("interface name " + name.srcName() + " is longer than "
                        + InterfaceName.MAX_NAME_LENGTH + " characters");
            }
        }
        if (response.gateway().contains("/") || response.gatewayIpv6().contains("/")) {
            throw new IllegalStateException("Join gateways must be plain IPs without a mask, got "
                    + response.gateway() + " / " + response.gatewayIpv6());
        }
        for (StaticRoute route : response.staticRoutes()) {
            if (route.routeType() == StaticRoute.Type.NEXTHOP && route.nextHop().isEmpty()) {
                throw new IllegalStateException("NEXTHOP route to " + route.destination() + " has no next hop");
            }
        }
        return response;
    }

    private static RequestPoolResponse checkRequestPool(RequestPoolResponse response) {
        if (response.poolId().isEmpty()) {
            throw new IllegalStateException("RequestPool answer has no PoolID");
        }
        if (!response.pool().contains("/")) {
            throw new IllegalStateException("RequestPool answer's Pool is not a CIDR: '" + response.pool() + "'");
        }
        return response;
    }

    private static RequestAddressResponse checkRequestAddress(RequestAddressResponse response) {
        if (!response.address().contains("/")) {
            throw new IllegalStateException(
                    "RequestAddress answer is not a CIDR with the pool's prefix: '" + response.address() + "'");
        }
        return response;
    }
}
