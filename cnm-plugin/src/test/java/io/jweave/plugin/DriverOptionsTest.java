package io.jweave.plugin;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed option readers and the records' JSON, without a server. */
class DriverOptionsTest {
    final ObjectMapper json = PluginJson.newMapper();

    @Test
    void readersNeverThrowOnOddShapes() throws Exception {
        DriverOptions o = json.readValue("{\"com.docker.network.generic\":\"not an object\","
                + "\"com.docker.network.enable_ipv6\":\"TRUE\",\"com.docker.network.internal\":1,"
                + "\"com.docker.network.portmap\":[null,7,{\"proto\":17,\"port\":\"53\"}],"
                + "\"com.docker.network.endpoint.exposedports\":{\"x\":1},"
                + "\"com.docker.network.endpoint.macaddress\":\"!!notbase64\"}", DriverOptions.class);
        assertEquals(Map.of(), o.generic());
        assertTrue(o.enableIpv6());
        assertFalse(o.internal());
        assertEquals(List.of(new PortBinding(17, "", 53, "", 0, 0)), o.portBindings());
        assertEquals(List.of(), o.exposedPorts());
        assertTrue(o.macAddress().isEmpty());
        assertTrue(o.mtu().isEmpty());
    }

    @Test
    void genericScalarsBecomeStringsAndMtuIsParsed() throws Exception {
        DriverOptions o = json.readValue("{\"com.docker.network.generic\":{\"a\":1,\"b\":true,\"c\":null,\"d\":{},"
                + "\"com.docker.network.driver.mtu\":\" 1400 \"}}", DriverOptions.class);
        assertEquals(Map.of("a", "1", "b", "true", "com.docker.network.driver.mtu", " 1400 "), o.generic());
        assertEquals(1400, o.mtu().orElseThrow());
    }

    @Test
    void macOptionAcceptsBase64AndColonForm() {
        assertEquals("02:42:0a:28:00:05", DriverOptions.of(Map.of(DriverOptions.MAC_ADDRESS, "AkIKKAAF")).macAddress().orElseThrow());
        assertEquals("02:42:0a:28:00:05", DriverOptions.of(Map.of(DriverOptions.MAC_ADDRESS, "02:42:0A:28:00:05")).macAddress().orElseThrow());
    }

    @Test
    void optionsSerialiseBackAsThePlainMap() throws Exception {
        DriverOptions o = DriverOptions.of(Map.of("k", "v"));
        assertEquals("{\"k\":\"v\"}", json.writeValueAsString(o));
    }

    @Test
    void responseRecordsRefuseValuesDockerCannotUse() {
        assertThrows(IllegalArgumentException.class, () -> CreateEndpointResponse.withMac("02:42:0a"));
        assertThrows(IllegalArgumentException.class, () -> new NetworkCapabilities("swarm", "global"));
        assertEquals("{}", write(CreateEndpointResponse.NONE));
        assertEquals("{}", write(CreateEndpointResponse.withMac("")));
    }

    @Test
    void staticRouteTypesAreIntegersOnTheWire() {
        assertEquals("{\"Destination\":\"0.0.0.0/0\",\"RouteType\":0,\"NextHop\":\"10.40.0.1\"}",
                write(StaticRoute.nextHop("0.0.0.0/0", "10.40.0.1")));
        assertEquals("{\"Destination\":\"224.0.0.0/4\",\"RouteType\":1}", write(StaticRoute.connected("224.0.0.0/4")));
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
