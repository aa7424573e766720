package io.jweave.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every call over the real Unix socket, as dockerd sends it, checked against the protocol reference. */
class PluginWireTest {
    static final String NET = "3f1c2b0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
    static final String EP = "fc7f0e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4938271605f4e3d2c1b";

    @TempDir
    Path dir;
    RecordingDriver driver;
    PluginServer server;
    UnixHttp http;

    @BeforeEach
    void start() throws IOException {
        driver = new RecordingDriver();
        server = new PluginServer(driver, driver,
                PluginServerConfig.defaults().withSocketPath(dir.resolve("jweave.sock")));
        server.start();
        http = new UnixHttp(server.socketPath());
    }

    @AfterEach
    void stop() throws IOException {
        http.close();
        server.close();
    }

    static JsonNode json(String s) throws IOException {
        return UnixHttp.JSON.readTree(s);
    }

    static void assertOk(UnixHttp.Response r, String expectedJson) throws IOException {
        assertEquals(200, r.status(), () -> "body: " + r.body());
        assertEquals(json(expectedJson), r.json(), r.body());
    }

    static void assertErr(UnixHttp.Response r, int status, String expectedErr) {
        assertEquals(status, r.status(), () -> "body: " + r.body());
        assertEquals(expectedErr, r.json().path("Err").asText(null), r.body());
        assertEquals(1, r.json().size(), r.body());
    }

    // ---------------------------------------------------------------- handshake, keep-alive

    @Test
    void handshakeOnOneKeptAliveConnectionWithEmptyBodies() throws IOException {
        UnixHttp.Response activate = http.post("/Plugin.Activate", "");
        assertEquals(200, activate.status());
        assertEquals("{\"Implements\":[\"NetworkDriver\",\"IpamDriver\"]}", activate.body());
        assertTrue(activate.header("content-type").startsWith("application/vnd.docker.plugins"));

        UnixHttp.Response caps = http.post("/NetworkDriver.GetCapabilities", "");
        assertEquals("{\"Scope\":\"local\",\"ConnectivityScope\":\"global\"}", caps.body());
        assertEquals(200, caps.status());

        assertOk(http.post("/IpamDriver.GetCapabilities", ""),
                "{\"RequiresMACAddress\": false, \"RequiresRequestReplay\": false}");
        assertOk(http.post("/IpamDriver.GetDefaultAddressSpaces", ""),
                "{\"LocalDefaultAddressSpace\":\"jweave-local\",\"GlobalDefaultAddressSpace\":\"jweave-global\"}");
        // A body on a no-argument call is ignored, whatever it holds.
        assertOk(http.post("/NetworkDriver.GetCapabilities", "{}"), "{\"Scope\":\"local\",\"ConnectivityScope\":\"global\"}");
        assertOk(http.post("/Plugin.Activate", "not json"), "{\"Implements\":[\"NetworkDriver\",\"IpamDriver\"]}");
        // None of these reached the drivers' recorded methods.
        assertEquals(List.of(), driver.methods());
    }

    @Test
    void wholeNetworkAndContainerLifecycleOnOneConnection() throws IOException {
        // 4.1 docker network create -d jweave --ipam-driver jweave --subnet 10.40.0.0/16 blue
        assertOk(http.post("/IpamDriver.RequestPool",
                "{\"AddressSpace\":\"jweave-local\",\"Pool\":\"10.40.0.0/16\",\"SubPool\":\"\",\"Options\":null,\"V6\":false}"),
                "{\"PoolID\":\"jweave/10.40.0.0/16/\",\"Pool\":\"10.40.0.0/16\",\"Data\":{}}");
        assertOk(http.post("/IpamDriver.RequestAddress",
                "{\"PoolID\":\"jweave/10.40.0.0/16/\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}"),
                "{\"Address\":\"10.40.1.7/16\",\"Data\":{}}");
        assertTrue(driver.<RequestAddressRequest>last("RequestAddress").gatewayRequest());
        assertOk(http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + NET + "\",\"Options\":{"
                + "\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},"
                + "\"IPv4Data\":[{\"AddressSpace\":\"jweave-local\",\"Pool\":\"10.40.0.0/16\",\"Gateway\":\"10.40.0.1/16\"}],"
                + "\"IPv6Data\":[]}"), "{}");
        // 4.2 docker run --network blue
        assertOk(http.post("/IpamDriver.RequestAddress",
                "{\"PoolID\":\"jweave/10.40.0.0/16/\",\"Address\":\"\",\"Options\":null}"),
                "{\"Address\":\"10.40.1.7/16\",\"Data\":{}}");
        assertFalse(driver.<RequestAddressRequest>last("RequestAddress").gatewayRequest());
        assertOk(http.post("/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP
                + "\",\"Interface\":{\"Address\":\"10.40.1.7/16\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":{}}"),
                "{\"Interface\":{\"MacAddress\":\"" + RecordingDriver.MAC + "\"}}");
        assertEquals(200, http.post("/NetworkDriver.Join", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP
                + "\",\"SandboxKey\":\"/var/run/docker/netns/47fabfbea0db\",\"Options\":null}").status());
        assertOk(http.post("/NetworkDriver.EndpointOperInfo", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}"),
                "{\"Value\":{}}");
        // 4.4 stop
        assertOk(http.post("/NetworkDriver.Leave", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}"), "{}");
        assertOk(http.post("/NetworkDriver.DeleteEndpoint", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}"), "{}");
        assertOk(http.post("/IpamDriver.ReleaseAddress", "{\"PoolID\":\"jweave/10.40.0.0/16/\",\"Address\":\"10.40.1.7\"}"), "{}");
        // 4.5 network rm
        assertOk(http.post("/IpamDriver.ReleasePool", "{\"PoolID\":\"jweave/10.40.0.0/16/\"}"), "{}");
        assertOk(http.post("/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" + NET + "\"}"), "{}");

        assertEquals(List.of("RequestPool", "RequestAddress", "CreateNetwork", "RequestAddress", "CreateEndpoint",
                "Join", "Leave", "DeleteEndpoint", "ReleaseAddress", "ReleasePool", "DeleteNetwork"), driver.methods());
        ReleaseAddressRequest release = driver.last("ReleaseAddress");
        assertEquals("10.40.1.7", release.address());
        assertEquals(NET, driver.<DeleteNetworkRequest>last("DeleteNetwork").networkId());
    }

    // ---------------------------------------------------------------- NetworkDriver shapes

    @Test
    void createNetworkDecodesDockerOptionsAndIgnoresUnknownFields() throws IOException {
        assertOk(http.post("/NetworkDriver.CreateNetwork", "{"
                + "\"NetworkID\":\"" + NET + "\","
                + "\"Options\":{\"com.docker.network.enable_ipv4\":true,\"com.docker.network.enable_ipv6\":true,"
                + "\"com.docker.network.generic\":{\"jweave.net\":\"blue\",\"com.docker.network.driver.mtu\":\"1400\"},"
                + "\"com.docker.network.internal\":true,\"com.docker.network.future\":{\"x\":[1,2]}},"
                + "\"IPv4Data\":[{\"AddressSpace\":\"jweave-local\",\"Pool\":\"10.40.0.0/16\",\"Gateway\":\"10.40.0.1/16\","
                + "\"AuxAddresses\":{\"router\":\"10.40.255.254/16\"},\"SomethingNew\":1}],"
                + "\"IPv6Data\":[{\"AddressSpace\":\"jweave-local\",\"Pool\":\"fd00:40::/64\",\"Gateway\":\"fd00:40::1/64\"}],"
                + "\"FieldFromTheFuture\":{\"a\":\"b\"}}"), "{}");
        CreateNetworkRequest r = driver.last("CreateNetwork");
        assertEquals(NET, r.networkId());
        assertEquals(Map.of("jweave.net", "blue", "com.docker.network.driver.mtu", "1400"), r.options().generic());
        assertEquals("blue", r.options().genericOption("jweave.net").orElseThrow());
        assertEquals(1400, r.options().mtu().orElseThrow());
        assertTrue(r.options().enableIpv6());
        assertTrue(r.options().enableIpv4());
        assertTrue(r.options().internal());
        assertEquals(new IpamData("jweave-local", "10.40.0.0/16", "10.40.0.1/16", Map.of("router", "10.40.255.254/16")),
                r.ipv4Data().get(0));
        assertEquals("fd00:40::/64", r.ipv6Data().get(0).pool());
        assertEquals(Map.of(), r.ipv6Data().get(0).auxAddresses());
    }

    @Test
    void createNetworkToleratesNullsAndMissingMaps() throws IOException {
        assertOk(http.post("/NetworkDriver.CreateNetwork",
                "{\"NetworkID\":\"" + NET + "\",\"Options\":null,\"IPv4Data\":null,\"IPv6Data\":null}"), "{}");
        CreateNetworkRequest r = driver.last("CreateNetwork");
        assertEquals(DriverOptions.EMPTY, r.options());
        assertEquals(Map.of(), r.options().generic());
        assertFalse(r.options().enableIpv6());
        assertFalse(r.options().internal());
        assertTrue(r.options().enableIpv4());
        assertEquals(List.of(), r.ipv4Data());

        assertOk(http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + NET + "\"}"), "{}");
        assertEquals(DriverOptions.EMPTY, driver.<CreateNetworkRequest>last("CreateNetwork").options());

        assertOk(http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + NET + "\","
                + "\"Options\":{\"com.docker.network.generic\":null}}"), "{}");
        assertEquals(Map.of(), driver.<CreateNetworkRequest>last("CreateNetwork").options().generic());
    }

    @Test
    void fieldNamesAreMatchedCaseInsensitivelyLikeGo() throws IOException {
        assertOk(http.post("/NetworkDriver.CreateNetwork", "{\"networkid\":\"" + NET + "\","
                + "\"ipv4data\":[{\"addressspace\":\"jweave-local\",\"POOL\":\"10.40.0.0/16\"}]}"), "{}");
        CreateNetworkRequest r = driver.last("CreateNetwork");
        assertEquals(NET, r.networkId());
        assertEquals("10.40.0.0/16", r.ipv4Data().get(0).pool());
        assertEquals("jweave-local", r.ipv4Data().get(0).addressSpace());
    }

    @Test
    void createNetworkWithEmptyBodyIsAMalformedRequest() throws IOException {
        UnixHttp.Response r = http.post("/NetworkDriver.CreateNetwork", "");
        assertErr(r, 500, "NetworkDriver.CreateNetwork: malformed request: empty body, expected a JSON object");
        assertEquals(List.of(), driver.methods());
        // The connection survives an error answer.
        assertEquals(200, http.post("/Plugin.Activate", "").status());
    }

    @Test
    void malformedJsonNamesTheMethodAndTheProblem() throws IOException {
        UnixHttp.Response r = http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\": ");
        assertEquals(500, r.status());
        String err = r.json().path("Err").asText();
        assertTrue(err.startsWith("NetworkDriver.CreateNetwork: malformed request: "), err);

        UnixHttp.Response array = http.post("/NetworkDriver.Join", "[1,2]");
        assertEquals(500, array.status());
        assertTrue(array.json().path("Err").asText().startsWith("NetworkDriver.Join: malformed request: "), array.body());

        assertErr(http.post("/IpamDriver.RequestAddress", "null"), 500,
                "IpamDriver.RequestAddress: malformed request: body is JSON null, expected a JSON object");

        UnixHttp.Response trailing = http.post("/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"a\"} {}");
        assertEquals(500, trailing.status());

        UnixHttp.Response badType = http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"a\",\"IPv4Data\":\"oops\"}");
        assertEquals(500, badType.status());
        assertTrue(badType.json().path("Err").asText().contains("IPv4Data"), badType.body());
        assertEquals(List.of(), driver.methods());
    }

    @Test
    void missingRequiredIdsAreMalformed() throws IOException {
        assertErr(http.post("/NetworkDriver.CreateNetwork", "{}"), 500,
                "NetworkDriver.CreateNetwork: malformed request: missing NetworkID");
        assertErr(http.post("/NetworkDriver.Join", "{\"NetworkID\":\"" + NET + "\"}"), 500,
                "NetworkDriver.Join: malformed request: missing EndpointID");
        assertErr(http.post("/IpamDriver.ReleaseAddress", "{\"PoolID\":\"p\"}"), 500,
                "IpamDriver.ReleaseAddress: malformed request: missing Address");
        assertEquals(List.of(), driver.methods());
    }

    @Test
    void pluginExceptionBecomes500WithItsMessage() throws IOException {
        assertErr(http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + NET + "\","
                + "\"Options\":{\"com.docker.network.generic\":{\"test.fail\":\"user\"}}}"), 500, "network says no");
    }

    @Test
    void otherExceptionsBecomeInternalErrors() throws IOException {
        assertErr(http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + NET + "\","
                + "\"Options\":{\"com.docker.network.generic\":{\"test.fail\":\"bug\"}}}"), 500,
                "internal error in NetworkDriver.CreateNetwork: boom");
        assertErr(http.post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + NET + "\","
                + "\"Options\":{\"com.docker.network.generic\":{\"test.fail\":\"npe\"}}}"), 500,
                "internal error in NetworkDriver.CreateNetwork: java.lang.NullPointerException");
    }

    @Test
    void createEndpointReturnsOnlyAMacAndOnlyWhenDockerGaveNone() throws IOException {
        UnixHttp.Response r = http.post("/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\""
                + EP + "\",\"Interface\":{\"Address\":\"10.40.0.5/16\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},"
                + "\"Options\":{\"com.docker.network.endpoint.dnsservers\":[\"172.17.0.1\"],"
                + "\"com.docker.network.endpoint.exposedports\":[{\"Proto\":6,\"Port\":80}],"
                + "\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\",\"Port\":80,\"HostIP\":\"\",\"HostPort\":8080,\"HostPortEnd\":8080}],"
                + "\"com.docker.network.endpoint.macaddress\":\"AkIKKAAF\",\"jweave.opt\":\"x\"}}");
        assertEquals(200, r.status());
        assertEquals("{\"Interface\":{\"MacAddress\":\"02:42:0a:28:00:05\"}}", r.body());

        CreateEndpointRequest req = driver.last("CreateEndpoint");
        assertEquals(new EndpointInterface("10.40.0.5/16", "", ""), req.iface());
        assertEquals(List.of(new ExposedPort(6, 80)), req.options().exposedPorts());
        assertEquals(List.of(new PortBinding(6, "", 80, "", 8080, 8080)), req.options().portBindings());
        assertEquals(List.of("172.17.0.1"), req.options().dnsServers());
        assertEquals("02:42:0a:28:00:05", req.options().macAddress().orElseThrow());
        assertEquals("x", req.options().string("jweave.opt").orElseThrow());

        // Docker already has a MAC: answering one (even the same) is not allowed, so nothing is sent.
        assertOk(http.post("/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP
                + "\",\"Interface\":{\"Address\":\"10.40.0.5/16\",\"MacAddress\":\"02:42:aa:bb:cc:dd\"},\"Options\":null}"), "{}");
        // Interface missing entirely: tolerated, the driver sees an empty one.
        assertEquals(200, http.post("/NetworkDriver.CreateEndpoint",
                "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}").status());
        assertEquals(EndpointInterface.EMPTY, driver.<CreateEndpointRequest>last("CreateEndpoint").iface());
    }

    @Test
    void joinAnswerHasDockersShape() throws IOException {
        UnixHttp.Response r = http.post("/NetworkDriver.Join", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP
                + "\",\"SandboxKey\":\"/var/run/docker/netns/47fabfbea0db\","
                + "\"Options\":{\"com.docker.network.portmap\":[],\"com.docker.network.endpoint.exposedports\":[]}}");
        assertOk(r, "{\"InterfaceName\":{\"SrcName\":\"vethjw5a3f9c01\",\"DstPrefix\":\"eth\"},"
                + "\"Gateway\":\"10.40.0.1\","
                + "\"StaticRoutes\":[{\"Destination\":\"224.0.0.0/4\",\"RouteType\":1},"
                + "{\"Destination\":\"10.41.0.0/16\",\"RouteType\":0,\"NextHop\":\"10.40.0.1\"}],"
                + "\"DisableGatewayService\":false}");
        JoinRequest req = driver.last("Join");
        assertEquals("/var/run/docker/netns/47fabfbea0db", req.sandboxKey());
        assertEquals(List.of(), req.options().portBindings());

        driver.joinResponse = new JoinResponse(null, null, null, null, true);
        assertOk(http.post("/NetworkDriver.Join", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}"),
                "{\"DisableGatewayService\":true}");

        driver.joinResponse = JoinResponse.of("vethjw5a3f9c01", "eth");
        assertEquals("{\"InterfaceName\":{\"SrcName\":\"vethjw5a3f9c01\",\"DstPrefix\":\"eth\"},\"DisableGatewayService\":false}",
                http.post("/NetworkDriver.Join", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}").body());
    }

    @Test
    void joinAnswersDockerWouldRejectAreInternalErrors() throws IOException {
        driver.joinResponse = JoinResponse.of("vethjw5a3f9c01toolong", "eth");
        UnixHttp.Response r = http.post("/NetworkDriver.Join", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}");
        assertEquals(500, r.status());
        assertTrue(r.json().path("Err").asText().startsWith("internal error in NetworkDriver.Join: interface name"), r.body());
    }

    @Test
    void optionalCallsAnswerEmptyObjectsByDefault() throws IOException {
        assertOk(http.post("/NetworkDriver.ProgramExternalConnectivity", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\""
                + EP + "\",\"Options\":{\"com.docker.network.portmap\":[],\"com.docker.network.endpoint.exposedports\":[]}}"), "{}");
        assertOk(http.post("/NetworkDriver.RevokeExternalConnectivity",
                "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}"), "{}");
        assertOk(http.post("/NetworkDriver.DiscoverNew",
                "{\"DiscoveryType\":1,\"DiscoveryData\":{\"Address\":\"192.168.1.12\",\"BindAddress\":\"\",\"Self\":false}}"), "{}");
        assertOk(http.post("/NetworkDriver.DiscoverDelete",
                "{\"DiscoveryType\":1,\"DiscoveryData\":{\"Address\":\"192.168.1.12\",\"self\":true}}"), "{}");
        assertOk(http.post("/NetworkDriver.AllocateNetwork", "{\"NetworkID\":\"" + NET + "\","
                + "\"Options\":{\"a\":\"b\"},\"IPv4Data\":[{\"AddressSpace\":\"s\",\"Pool\":\"10.0.0.0/8\"}],\"IPv6Data\":null}"),
                "{\"Options\":{\"a\":\"b\"}}");
        assertOk(http.post("/NetworkDriver.AllocateNetwork", "{\"NetworkID\":\"" + NET + "\",\"Options\":null}"),
                "{\"Options\":{}}");
        assertOk(http.post("/NetworkDriver.FreeNetwork", "{\"NetworkID\":\"" + NET + "\"}"), "{}");
        assertOk(http.post("/NetworkDriver.EndpointOperInfo", "{\"NetworkID\":\"" + NET + "\",\"EndpointID\":\"" + EP + "\"}"),
                "{\"Value\":{}}");
    }

    // ---------------------------------------------------------------- IpamDriver shapes

    @Test
    void ipamRequestsDecodeAndAnswer() throws IOException {
        assertOk(http.post("/IpamDriver.RequestPool", "{\"AddressSpace\":\"jweave-local\",\"Pool\":\"10.40.0.0/16\","
                + "\"SubPool\":\"10.40.1.0/24\",\"Options\":{\"jweave.opt\":\"x\"},\"V6\":false}"),
                "{\"PoolID\":\"jweave/10.40.0.0/16/10.40.1.0/24\",\"Pool\":\"10.40.0.0/16\",\"Data\":{}}");
        RequestPoolRequest pool = driver.last("RequestPool");
        assertEquals(new RequestPoolRequest("jweave-local", "10.40.0.0/16", "10.40.1.0/24", Map.of("jweave.opt", "x"), false),
                pool);

        assertEquals(200, http.post("/IpamDriver.RequestPool",
                "{\"AddressSpace\":\"jweave-local\",\"Pool\":\"\",\"SubPool\":\"\",\"Options\":null,\"V6\":null}").status());
        assertFalse(driver.<RequestPoolRequest>last("RequestPool").v6());

        assertOk(http.post("/IpamDriver.RequestAddress", "{\"PoolID\":\"p\",\"Address\":\"10.40.1.7\","
                + "\"Options\":{\"com.docker.network.endpoint.name\":\"web-1\"}}"), "{\"Address\":\"10.40.1.7/16\",\"Data\":{}}");
        RequestAddressRequest addr = driver.last("RequestAddress");
        assertEquals("10.40.1.7", addr.address());
        assertEquals("web-1", addr.endpointName().orElseThrow());
        assertFalse(addr.gatewayRequest());
    }

    @Test
    void ipamErrorsUse500AndErrNeverA200() throws IOException {
        assertErr(http.post("/IpamDriver.RequestPool", "{\"AddressSpace\":\"jweave-local\",\"Pool\":\"10.99.0.0/16\"}"),
                500, "Pool overlaps with other one on this address space");
        assertErr(http.post("/IpamDriver.RequestAddress", "{\"PoolID\":\"p\",\"Address\":\"10.40.0.9\",\"Options\":null}"),
                500, "Address already in use");
        assertErr(http.post("/IpamDriver.RequestPool", "{\"AddressSpace\":\"jweave-local\",\"Pool\":\"\",\"SubPool\":\"10.40.1.0/24\"}"),
                500, "SubPool (--ip-range) 10.40.1.0/24 given without Pool (--subnet)");
    }

    @Test
    void ipamAnswersDockerCannotUseAreInternalErrors() throws IOException {
        driver.addressResponse = RequestAddressResponse.of("10.40.1.7");
        UnixHttp.Response r = http.post("/IpamDriver.RequestAddress", "{\"PoolID\":\"p\"}");
        assertEquals(500, r.status());
        assertTrue(r.json().path("Err").asText().startsWith("internal error in IpamDriver.RequestAddress: "), r.body());
        driver.addressResponse = RequestAddressResponse.of("");
        assertEquals(500, http.post("/IpamDriver.RequestAddress", "{\"PoolID\":\"p\"}").status());
    }

    // ---------------------------------------------------------------- HTTP level

    @Test
    void unknownMethodIs404WithErr() throws IOException {
        UnixHttp.Response r = http.post("/NetworkDriver.GwAllocCheck", "{\"Options\":{}}");
        assertErr(r, 404, "jweave: no such plugin method: /NetworkDriver.GwAllocCheck");
        assertErr(http.post("/", ""), 404, "jweave: no such plugin method: /");
        // Still usable afterwards.
        assertEquals(200, http.post("/Plugin.Activate", "").status());
    }

    @Test
    void nonPostIsRefused() throws IOException {
        http.send("GET /Plugin.Activate HTTP/1.1\r\nHost: plugin.moby.localhost\r\n\r\n");
        UnixHttp.Response r = http.read();
        assertEquals(405, r.status());
        assertTrue(r.json().has("Err"));
    }

    @Test
    void oversizeBodyIs413WithErrAndTheRestOfTheBodyIsDiscarded() throws IOException {
        String big = "{\"NetworkID\":\"" + "a".repeat(PluginServerConfig.DEFAULT_MAX_REQUEST_BYTES) + "\"}";
        UnixHttp.Response r = http.post("/NetworkDriver.CreateNetwork", big);
        assertErr(r, 413, "request body larger than 1048576 bytes");
        assertEquals(List.of(), driver.methods());
        // The body was drained, so the kept-alive connection goes on with the next request.
        assertEquals(200, http.post("/Plugin.Activate", "").status());

        // Chunked (no Content-Length): noticed while aggregating, same answer.
        String chunk = "b".repeat(64 * 1024);
        StringBuilder chunked = new StringBuilder("POST /NetworkDriver.CreateNetwork HTTP/1.1\r\n"
                + "Host: plugin.moby.localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 20; i++) {
            chunked.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        chunked.append("0\r\n\r\n");
        http.send(chunked.toString());
        assertErr(http.read(), 413, "request body larger than 1048576 bytes");
        assertEquals(200, http.post("/Plugin.Activate", "").status());
        assertEquals(List.of(), driver.methods());
    }

    @Test
    void bodyJustUnderTheLimitIsAccepted() throws IOException {
        String filler = "x".repeat(PluginServerConfig.DEFAULT_MAX_REQUEST_BYTES - 100);
        assertOk(http.post("/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" + NET + "\",\"Pad\":\"" + filler + "\"}"), "{}");
    }

    @Test
    void connectionCloseIsHonoured() throws IOException {
        http.send("POST /Plugin.Activate HTTP/1.1\r\nHost: plugin.moby.localhost\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n");
        UnixHttp.Response r = http.read();
        assertEquals(200, r.status());
        assertEquals("close", r.header("connection"));
        assertTrue(http.closedByServer());
    }

    @Test
    void chunkedBodiesAreAggregated() throws IOException {
        String body = "{\"NetworkID\":\"" + NET + "\"}";
        http.send("POST /NetworkDriver.DeleteNetwork HTTP/1.1\r\nHost: plugin.moby.localhost\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(10) + "\r\n" + body.substring(0, 10) + "\r\n"
                + Integer.toHexString(body.length() - 10) + "\r\n" + body.substring(10) + "\r\n0\r\n\r\n");
        assertOk(http.read(), "{}");
        assertEquals(NET, driver.<DeleteNetworkRequest>last("DeleteNetwork").networkId());
    }

    @Test
    void garbageRequestLineGets400AndClose() throws IOException {
        http.send("THIS IS NOT HTTP\r\n\r\n");
        UnixHttp.Response r = http.read();
        assertEquals(400, r.status());
        assertTrue(r.json().has("Err"));
        assertNull(r.json().get("Error"));
        assertTrue(http.closedByServer());
    }
}
