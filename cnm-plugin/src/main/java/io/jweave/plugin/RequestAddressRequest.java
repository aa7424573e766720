package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;
import java.util.Optional;

/**
 * {@code IpamDriver.RequestAddress}. {@code address} is {@code ""} for any free address, or a
 * specific plain IP ({@code --ip}, {@code --gateway}, aux addresses, replays) that must be granted
 * or refused. {@code options} tell who asks: see {@link #gatewayRequest()}, {@link #endpointName()}.
 * Aux addresses arrive with no options at all.
 */
public record RequestAddressRequest(
        @JsonProperty("PoolID") String poolId,
        @JsonProperty("Address") String address,
        @JsonProperty("Options") Map<String, String> options) {

    public static final String REQUEST_ADDRESS_TYPE = "RequestAddressType";
    public static final String GATEWAY_TYPE = "com.docker.network.gateway";
    /** Docker ≥ v29 sends the endpoint (container) name for endpoint addresses. */
    public static final String ENDPOINT_NAME = "com.docker.network.endpoint.name";
    /** Sent (as {@code aa:bb:..}) only when the IPAM declares RequiresMACAddress. */
    public static final String MAC_ADDRESS = "com.docker.network.endpoint.macaddress";

    public RequestAddressRequest {
        poolId = Wire.str(poolId);
        address = Wire.str(address);
        options = Wire.strings(options);
    }

    /** True when Docker asks for the network's gateway address. */
    public boolean gatewayRequest() {
        return GATEWAY_TYPE.equals(options.get(REQUEST_ADDRESS_TYPE));
    }

    public Optional<String> endpointName() {
        return Optional.ofNullable(options.get(ENDPOINT_NAME)).filter(s -> !s.isEmpty());
    }
}
