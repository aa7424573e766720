package io.jweave.it;

import static io.jweave.it.SingleHostBed.IMAGE;
import static io.jweave.it.SingleHostBed.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * jweave as Docker's network and IPAM driver on one host, driven through the docker CLI of a real
 * dockerd (Debian's docker.io) on a simulated host: networks with each option, run/connect/
 * disconnect, isolation, egress and published ports through docker_gwbridge, the MTU option and a
 * docker-compose project. host2 plays "the outside world". After each test everything is removed
 * and jweave must hold nothing any more; at the end nothing may be left on the machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SingleHostDockerTest {
    private SingleHostBed bed;
    private SimHost h1;
    private SimHost h2;

    @BeforeAll
    void up() {
        bed = SingleHostBed.start();
        h1 = bed.h1;
        h2 = bed.h2;
    }

    @AfterEach
    void cleanContainersAndNetworks() {
        bed.removeAll();
        bed.assertJweaveEmpty();
    }

    @AfterAll
    void down() {
        if (bed != null) {
            bed.close();
        }
    }

    private static Cidr cidr(String s) {
        return Cidr.parse(s);
    }

    @Test
    void automaticNetworkCarriesTrafficBetweenContainersAndIsRemovedCleanly() throws Exception {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        String subnet = h1.dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        assertTrue(subnet.startsWith("100.64.") && subnet.endsWith("/24"), "automatic subnet from --ipalloc-range: " + subnet);
        assertTrue(bed.ipamAllocations().containsKey(subnet), "ipam.json records the pool: " + bed.ipamAllocations());

        bed.sleeper("ca", "--network", "blue");
        bed.sleeper("cb", "--network", "blue");
        String ipA = bed.ip("ca", "blue");
        String ipB = bed.ip("cb", "blue");
        assertTrue(cidr(subnet).contains(ipA) && cidr(subnet).contains(ipB), ipA + ", " + ipB + " in " + subnet);
        bed.assertPings("ca", ipB);
        bed.assertPings("cb", ipA);
        String mtu = h1.dockerOk("exec", "ca", "cat", "/sys/class/net/eth0/mtu").out();
        assertEquals("1450", mtu, "container MTU = underlay 1500 - 50");
        assertEquals(1, bed.networkNamespaces().size(), "one namespace for the network: " + bed.networkNamespaces());

        // the size of an automatic subnet can be chosen per network
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--ipam-opt", "jweave.subnet-size=26", "quarter");
        String small = h1.dockerOk("network", "inspect", "quarter", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        assertTrue(small.startsWith("100.64.") && small.endsWith("/26") && !cidr(subnet).contains(small.split("/")[0]),
                "automatic /26 next to " + subnet + ": " + small);
        h1.dockerOk("network", "rm", "quarter");

        h1.dockerOk("rm", "-f", "ca", "cb");
        h1.dockerOk("network", "rm", "blue");
        try (var files = Files.list(bed.router.netnsDir())) {
            assertEquals(0, files.count(), "the network's namespace is removed with the network");
        }
        assertFalse(h1.execOk("ip", "-o", "link").out().contains("jwc"), "no endpoint link left in the host");
    }

    @Test
    void explicitSubnetGatewayAndIpAreHonoured() {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave",
                "--subnet", "100.64.10.0/24", "--gateway", "100.64.10.1", "red");
        assertEquals("100.64.10.0/24 100.64.10.1", h1.dockerOk("network", "inspect", "red", "--format",
                "{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}").out());

        bed.sleeper("any", "--network", "red");
        String any = bed.ip("any", "red");
        assertTrue(cidr("100.64.10.0/24").contains(any), any);
        assertNotEquals("100.64.10.1", any, "the gateway address is never given to a container");

        bed.sleeper("fixed", "--network", "red", "--ip", "100.64.10.50");
        assertEquals("100.64.10.50", bed.ip("fixed", "red"));
        assertTrue(bed.addresses("fixed").contains("inet 100.64.10.50/24"), bed.addresses("fixed"));
        bed.assertPings("any", "100.64.10.50");
        assertEquals(List.of("100.64.10.1", any, "100.64.10.50").stream().sorted().toList(),
                bed.ipamAllocations().get("100.64.10.0/24").stream().sorted().toList(),
                "ipam.json holds the gateway and the two containers' addresses");
    }

    @Test
    void ipRangeAndAuxAddressesAreHonoured() {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", "100.64.20.0/24",
                "--ip-range", "100.64.20.128/25", "--aux-address", "router=100.64.20.129",
                "--aux-address", "printer=100.64.20.5", "green");
        assertEquals("100.64.20.128/25 map[printer:100.64.20.5 router:100.64.20.129]", h1.dockerOk("network", "inspect",
                "green", "--format", "{{(index .IPAM.Config 0).IPRange}} {{(index .IPAM.Config 0).AuxiliaryAddresses}}").out());
        List<String> held = bed.ipamAllocations().get("100.64.20.0/24[100.64.20.128/25]");
        assertTrue(held != null && held.contains("100.64.20.129") && held.contains("100.64.20.5"),
                "aux addresses are reserved in ipam.json: " + bed.ipamAllocations());

        SortedSet<String> given = new TreeSet<>();
        for (String c : List.of("g1", "g2", "g3")) {
            bed.sleeper(c, "--network", "green");
            given.add(bed.ip(c, "green"));
        }
        for (String ip : given) {
            assertTrue(cidr("100.64.20.128/25").contains(ip), ip + " comes from --ip-range 100.64.20.128/25");
            assertNotEquals("100.64.20.129", ip, "an aux address is never given to a container");
        }
        assertEquals(3, given.size(), "distinct addresses: " + given);
        // --ip may name any free address of the subnet, also outside --ip-range
        bed.sleeper("g4", "--network", "green", "--ip", "100.64.20.7");
        assertEquals("100.64.20.7", bed.ip("g4", "green"));
        bed.assertPings("g1", "100.64.20.7");
    }

    @Test
    void connectAndDisconnectARunningContainer() {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave",
                "--subnet", "100.64.10.0/24", "--gateway", "100.64.10.1", "red");
        bed.sleeper("web", "--network", "blue");
        bed.sleeper("peer-blue", "--network", "blue");
        bed.sleeper("peer-red", "--network", "red", "--ip", "100.64.10.50");
        String peerBlue = bed.ip("peer-blue", "blue");
        SortedSet<String> before = bed.interfaces("web");
        SortedSet<String> linksBefore = bed.hostLinks();
        bed.assertNoPing("web", "100.64.10.50");

        h1.dockerOk("network", "connect", "red", "web");
        String redIp = bed.ip("web", "red");
        assertTrue(cidr("100.64.10.0/24").contains(redIp), redIp);
        SortedSet<String> after = bed.interfaces("web");
        SortedSet<String> added = new TreeSet<>(after);
        added.removeAll(before);
        assertEquals(1, added.size(), "one new interface in the container: before " + before + ", after " + after);
        String ifName = added.first();
        assertEquals(ifName, bed.interfaceWith("web", redIp), "the new interface holds the red address");
        assertEquals("1450", h1.dockerOk("exec", "web", "cat", "/sys/class/net/" + ifName + "/mtu").out());
        bed.assertPings("web", "100.64.10.50");
        bed.assertPings("peer-red", redIp);
        bed.assertPings("web", peerBlue);

        h1.dockerOk("network", "disconnect", "red", "web");
        assertEquals(before, bed.interfaces("web"), "the red interface is gone from the container");
        assertFalse(bed.addresses("web").contains(redIp), bed.addresses("web"));
        bed.assertNoPing("web", "100.64.10.50");
        bed.assertPings("web", peerBlue);
        assertEquals(linksBefore, bed.hostLinks(), "host1 has the same links as before connect");
        assertFalse(bed.ipamAllocations().get("100.64.10.0/24").contains(redIp), "the address is released");

        // connect again, now with a chosen address
        h1.dockerOk("network", "connect", "--ip", "100.64.10.60", "red", "web");
        assertTrue(bed.addresses("web").contains("inet 100.64.10.60/24"), bed.addresses("web"));
        bed.assertPings("peer-red", "100.64.10.60");
        h1.dockerOk("network", "disconnect", "red", "web");
        bed.assertNoPing("peer-red", "100.64.10.60");
    }

    @Test
    void networksAreIsolatedUnlessAContainerJoinsBoth() {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", "100.64.10.0/24", "red");
        bed.sleeper("b1", "--network", "blue");
        bed.sleeper("r1", "--network", "red");
        bed.sleeper("both", "--network", "blue");
        h1.dockerOk("network", "connect", "red", "both");
        String b1 = bed.ip("b1", "blue");
        String r1 = bed.ip("r1", "red");

        bed.assertNoPing("b1", r1);
        bed.assertNoPing("r1", b1);
        bed.assertPings("both", b1);
        bed.assertPings("both", r1);
        // ... and "both" does not become a router between them
        bed.assertNoPing("b1", r1);

        // host1 has no route into the overlays: each network's bridge lives in its own namespace
        String routes = h1.execOk("ip", "-4", "route", "show").out();
        assertFalse(routes.contains("100.64."), "host1 routes nothing into the overlays:\n" + routes);
        // no back door through docker_gwbridge either (Docker turns inter-container traffic off there)
        String r1Gw = gwbridgeAddress("r1");
        bed.assertNoPing("b1", r1Gw);
    }

    /** The container's address on docker_gwbridge (the interface that holds the default route). */
    private String gwbridgeAddress(String container) {
        String route = h1.dockerOk("exec", container, "ip", "-4", "route", "show", "default").out();
        String dev = route.replaceAll(".* dev (\\S+).*", "$1");
        String addr = h1.dockerOk("exec", container, "ip", "-o", "-4", "addr", "show", dev).out();
        return addr.replaceAll("(?s).*inet (\\S+)/.*", "$1");
    }

    @Test
    void egressAndPublishedPortsGoThroughDockerGwbridge() {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        bed.sleeper("out", "--network", "blue");
        // jweave returns no gateway, so Docker adds an interface on docker_gwbridge with the default route
        String route = h1.dockerOk("exec", "out", "ip", "-4", "route", "show", "default").out();
        String gwSubnet = h1.dockerOk("network", "inspect", "docker_gwbridge", "--format",
                "{{(index .IPAM.Config 0).Subnet}}").out();
        String gwAddr = gwbridgeAddress("out");
        assertTrue(cidr(gwSubnet).contains(gwAddr), "default route " + route + " goes through docker_gwbridge " + gwSubnet);
        // the outside world: host2's underlay address (the simulated hosts have no default route)
        bed.assertPings("out", h2.underlayIp());

        h1.run("-d", "--name", "web", "--network", "blue", "-p", "8080:80", IMAGE, "sh", "-c",
                "mkdir -p /www && echo hello from jweave web > /www/index.html && exec httpd -f -p 80 -h /www");
        assertTrue(h1.dockerOk("port", "web", "80").out().contains("0.0.0.0:8080"), "docker port shows the mapping");
        String url = "http://" + h1.underlayIp() + ":8080/";
        Result got = null;
        // (busybox's wget -T crashes in the test image's static busybox, hence "timeout 10 wget")
        for (int i = 0; i < 20; i++) { // httpd needs a moment to listen
            got = h2.docker(Duration.ofSeconds(30), "run", "--rm", "--init", "--pull", "never", "--network", "host",
                    IMAGE, "timeout", "10", "wget", "-q", "-O", "-", url);
            if (got.ok()) {
                break;
            }
            sleep(250);
        }
        Result r = got;
        assertTrue(r.ok(), () -> "host2 reaches the published port " + url + ":\n" + r.describe());
        assertEquals("hello from jweave web", r.out());
        // and the container is reachable on the overlay from its neighbours as well
        bed.sleeper("client", "--network", "blue");
        Result inside = h1.docker(Duration.ofSeconds(30), "exec", "client", "timeout", "10", "wget", "-q", "-O", "-",
                "http://" + bed.ip("web", "blue") + "/");
        assertEquals("hello from jweave web", inside.out(), inside::describe);
    }

    @Test
    void mtuOptionIsAppliedToTheContainerInterface() {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave",
                "-o", "com.docker.network.driver.mtu=1400", "small");
        bed.sleeper("s1", "--network", "small");
        bed.sleeper("s2", "--network", "small");
        assertEquals("1400", h1.dockerOk("exec", "s1", "cat", "/sys/class/net/eth0/mtu").out());
        // full-size frames pass: 1400 - 20 (IP) - 8 (ICMP) bytes of payload
        Result big = h1.docker(Duration.ofSeconds(30), "exec", "s1", "ping", "-c", "2", "-W", "2", "-s", "1372",
                bed.ip("s2", "small"));
        assertTrue(big.ok(), big::describe);
        // the network's own links (bridge, VXLAN, bridge ports) all carry the same MTU
        Path ns = bed.router.netnsDir().resolve(bed.networkNamespaces().first());
        String links = h1.execOk("nsenter", "--net=" + ns, "ip", "-o", "link", "show").out();
        List<String> mtus = links.lines().filter(l -> !l.contains(": lo:"))
                .map(l -> l.replaceAll(".*: (\\S+?)(@\\S+)?: .* mtu (\\d+) .*", "$1=$3")).toList();
        assertEquals(4, mtus.size(), "bridge, VXLAN and two bridge ports: " + mtus);
        for (String m : mtus) {
            assertTrue(m.endsWith("=1400"), "every link of the network's namespace has MTU 1400: " + mtus);
        }
        // connecting a container of another network picks the network's MTU too
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        bed.sleeper("bb", "--network", "blue");
        h1.dockerOk("network", "connect", "small", "bb");
        String ifName = bed.interfaceWith("bb", bed.ip("bb", "small"));
        assertEquals("1400", h1.dockerOk("exec", "bb", "cat", "/sys/class/net/" + ifName + "/mtu").out());
        assertEquals("1450", h1.dockerOk("exec", "bb", "cat", "/sys/class/net/eth0/mtu").out());
    }

    @Test
    void dockerComposeProjectComesUpAndDown() throws IOException {
        Path dir = h1.runDir().resolve("compose-app");
        Files.createDirectories(dir);
        Path file = dir.resolve("docker-compose.yml");
        try (InputStream in = getClass().getResourceAsStream("/compose/docker-compose.yml")) {
            assertTrue(in != null, "compose file on the test class path");
            Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Result up = compose(file, "up", "-d");
        assertTrue(up.ok(), up::describe);
        assertEquals("jweave jweave 100.64.40.0/24", h1.dockerOk("network", "inspect", "jwapp_app", "--format",
                "{{.Driver}} {{.IPAM.Driver}} {{(index .IPAM.Config 0).Subnet}}").out());
        String front = "jwapp_front_1";
        String back = "jwapp_back_1";
        assertEquals("100.64.40.10", bed.ip(front, "jwapp_app"), "ipv4_address from the compose file");
        String backIp = bed.ip(back, "jwapp_app");
        assertTrue(cidr("100.64.40.0/24").contains(backIp), backIp);
        bed.assertPings(front, backIp);
        bed.assertPings(back, "100.64.40.10");
        // Docker's embedded DNS knows the services of the project (same daemon)
        bed.assertPings(front, "back");

        Result down = compose(file, "down");
        assertTrue(down.ok(), down::describe);
        assertEquals("", h1.dockerOk("ps", "-aq").out(), "no container left");
        assertFalse(h1.dockerOk("network", "ls", "--format", "{{.Name}}").out().contains("jwapp_app"), "network removed");
        bed.assertJweaveEmpty();

        // at once up again: the same subnet (and VXLAN id) is free right after down
        Result again = compose(file, "up", "-d");
        assertTrue(again.ok(), again::describe);
        bed.assertPings(front, "back");
        Result down2 = compose(file, "down");
        assertTrue(down2.ok(), down2::describe);
        bed.assertJweaveEmpty();
    }

    @Test
    void networkRemovedAndCreatedAgainAtOnceWorks() {
        for (int i = 0; i < 5; i++) {
            h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", "100.64.90.0/24", "again");
            h1.dockerOk("network", "rm", "again");
        }
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", "100.64.90.0/24", "again");
        bed.sleeper("a1", "--network", "again");
        bed.sleeper("a2", "--network", "again");
        bed.assertPings("a1", bed.ip("a2", "again"));
    }

    @Test
    void parallelNetworkCreatesAndRemovalsLeaveNothing() throws Exception {
        for (int round = 0; round < 3; round++) {
            List<java.util.concurrent.CompletableFuture<Result>> creates = new java.util.ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                String name = "par" + i;
                creates.add(java.util.concurrent.CompletableFuture.supplyAsync(() ->
                        h1.docker("network", "create", "-d", "jweave", "--ipam-driver", "jweave", name)));
            }
            for (var f : creates) {
                Result r = f.get();
                assertTrue(r.ok(), r::describe);
            }
            assertEquals(6, bed.ipamAllocations().size(), "six pools: " + bed.ipamAllocations());
            List<java.util.concurrent.CompletableFuture<Result>> removals = new java.util.ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                String name = "par" + i;
                removals.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> h1.docker("network", "rm", name)));
            }
            for (var f : removals) {
                Result r = f.get();
                assertTrue(r.ok(), r::describe);
            }
            sleep(3000); // let the router settle: nothing may come back
            assertEquals("", h1.dockerOk("network", "ls", "--filter", "driver=jweave", "--format", "{{.Name}}").out(),
                    "round " + round + ": every removed network stays removed");
            bed.assertJweaveEmpty();
        }
    }

    /** Debian's docker-compose 1.29 inside host1's namespace, talking to host1's dockerd. */
    private Result compose(Path file, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("env", "DOCKER_HOST=" + h1.dockerHost(),
                "DOCKER_CONFIG=" + h1.runDir().resolve("client"), "COMPOSE_INTERACTIVE_NO_CLI=1",
                "docker-compose", "--no-ansi", "-f", file.toString(), "-p", "jwapp"));
        cmd.addAll(List.of(args));
        return h1.exec(Duration.ofSeconds(120), cmd.toArray(String[]::new));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A tiny IPv4 CIDR for membership checks. */
    record Cidr(long network, int prefix) {
        static Cidr parse(String s) {
            String[] p = s.split("/");
            int len = Integer.parseInt(p[1]);
            return new Cidr(value(p[0]) & mask(len), len);
        }

        boolean contains(String ip) {
            return (value(ip) & mask(prefix)) == network;
        }

        private static long mask(int len) {
            return len == 0 ? 0 : (0xFFFFFFFFL << (32 - len)) & 0xFFFFFFFFL;
        }

        private static long value(String ip) {
            long v = 0;
            for (String part : ip.split("\\.")) {
                v = (v << 8) | Integer.parseInt(part);
            }
            return v;
        }
    }
}
