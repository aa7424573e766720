package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * Answer to RequestAddress: the address as a CIDR with the <em>pool's</em> prefix length
 * ({@code "10.40.1.7/16"}); Docker puts exactly this on the interface. The server refuses to send
 * an empty or mask-less address (Docker would fail with "no address returned" / "invalid CIDR").
 */
public record RequestAddressResponse(
        @JsonProperty("Address") String address,
        @JsonProperty("Data") @JsonInclude(JsonInclude.Include.ALWAYS) Map<String, String> data) {

    public RequestAddressResponse {
        address = Wire.str(address);
        data = Wire.strings(data);
    }

    public static RequestAddressResponse of(String cidr) {
        return new RequestAddressResponse(cidr, Map.of());
    }
}
