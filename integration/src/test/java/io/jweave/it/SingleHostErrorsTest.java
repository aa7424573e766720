package io.jweave.it;

import static io.jweave.it.SingleHostBed.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jweave.it.SingleHostBed.JweaveState;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a docker CLI user sees when jweave (or Docker, on jweave's behalf) refuses a request: the
 * exit status and the message, and that nothing is left behind: no link in host1, no namespace
 * under the router's data directory, no IPAM allocation, no network or endpoint record. Each case
 * then shows the same name or address works once the request is right.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SingleHostErrorsTest {
    private SingleHostBed bed;
    private SimHost h1;

    @BeforeAll
    void up() {
        bed = SingleHostBed.start();
        h1 = bed.h1;
        // Docker creates docker_gwbridge with the first container on a jweave network; do that now
        // so the host's links only change when jweave changes them.
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "warmup");
        h1.run("--rm", "--network", "warmup", SingleHostBed.IMAGE, "true");
        h1.dockerOk("network", "rm", "warmup");
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

    private Result create(String... args) {
        List<String> cmd = new ArrayList<>(List.of("network", "create", "-d", "jweave", "--ipam-driver", "jweave"));
        cmd.addAll(List.of(args));
        return h1.docker(cmd.toArray(String[]::new));
    }

    /** Runs {@code failing}, checks it was refused with {@code message} and changed nothing of jweave's. */
    private void refusedWithoutTrace(String message, java.util.function.Supplier<Result> failing) {
        JweaveState before = bed.jweaveState();
        List<String> networksBefore = networkNames();
        Result r = failing.get();
        assertRefused(r, message);
        assertEquals(before, bed.jweaveState(), () -> "nothing left behind by: " + String.join(" ", r.command()));
        assertEquals(networksBefore, networkNames(), "no network was created");
    }

    private List<String> networkNames() {
        return List.of(h1.dockerOk("network", "ls", "--format", "{{.Name}}").out().split("\\s+"));
    }

    @Test
    void overlappingSubnetsAreRefused() {
        create("--subnet", "100.64.10.0/24", "red").orThrow();
        refusedWithoutTrace("pool 100.64.10.0/25 overlaps 100.64.10.0/24, already used by another jweave network",
                () -> create("--subnet", "100.64.10.0/25", "red2"));
        refusedWithoutTrace("pool 100.64.0.0/16 overlaps 100.64.10.0/24",
                () -> create("--subnet", "100.64.0.0/16", "wide"));
        refusedWithoutTrace("overlaps 100.64.10.0/24", () -> create("--subnet", "100.64.10.0/24", "red3"));
        // an automatic pool is taken too
        create("blue").orThrow();
        String auto = h1.dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        refusedWithoutTrace("overlaps " + auto, () -> create("--subnet", auto, "blue2"));
        // once red is gone its subnet is free again
        h1.dockerOk("network", "rm", "red");
        create("--subnet", "100.64.10.0/25", "red2").orThrow();
    }

    @Test
    void aSubnetHoldingTheDnsAddressIsRefused() {
        // 169.254.53.53 is jweave's DNS address on every network (RouterConfig.dnsAddress); no traffic is sent here.
        refusedWithoutTrace("subnet 169.254.53.0/24 holds 169.254.53.53, the address of jweave's DNS server",
                () -> create("--subnet", "169.254.53.0/24", "dnsclash"));
    }

    @Test
    void ipOutsideTheSubnetIsRefused() {
        create("--subnet", "100.64.10.0/24", "red").orThrow();
        refusedWithoutTrace("Invalid address 100.64.11.5: It does not belong to any of this network's subnets",
                () -> bed.tryRun("c1", "--network", "red", "--ip", "100.64.11.5"));
        h1.dockerOk("rm", "c1"); // docker run leaves the container it created ("Created")
        refusedWithoutTrace("address 100.64.10.0 is the network address of pool 100.64.10.0/24",
                () -> bed.tryRun("c2", "--network", "red", "--ip", "100.64.10.0"));
        h1.dockerOk("rm", "c2");
        refusedWithoutTrace("address 100.64.10.255 is the broadcast address of pool 100.64.10.0/24",
                () -> bed.tryRun("c3", "--network", "red", "--ip", "100.64.10.255"));
        h1.dockerOk("rm", "c3");
        bed.sleeper("c1", "--network", "red", "--ip", "100.64.10.5");
        assertEquals("100.64.10.5", bed.ip("c1", "red"));
    }

    @Test
    void ipOnANetworkWithoutUserSubnetIsRefusedByDocker() {
        create("blue").orThrow();
        String subnet = h1.dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        String wanted = subnet.substring(0, subnet.lastIndexOf('.')) + ".50";
        refusedWithoutTrace("user specified IP address is supported only when connecting to networks with user configured subnets",
                () -> bed.tryRun("c1", "--network", "blue", "--ip", wanted));
    }

    @Test
    void ipAlreadyInUseIsRefused() {
        create("--subnet", "100.64.10.0/24", "--gateway", "100.64.10.1", "red").orThrow();
        bed.sleeper("first", "--network", "red", "--ip", "100.64.10.50");
        refusedWithoutTrace("address 100.64.10.50 is already in use in pool 100.64.10.0/24",
                () -> bed.tryRun("second", "--network", "red", "--ip", "100.64.10.50"));
        h1.dockerOk("rm", "second");
        refusedWithoutTrace("address 100.64.10.1 is already in use in pool 100.64.10.0/24 (it is the gateway)",
                () -> bed.tryRun("third", "--network", "red", "--ip", "100.64.10.1"));
        h1.dockerOk("rm", "third");
        // connect with a taken address fails the same way and leaves the container as it was
        bed.sleeper("other", "--network", "red");
        create("blue").orThrow();
        bed.sleeper("bluey", "--network", "blue");
        SortedSet<String> ifaces = bed.interfaces("bluey");
        refusedWithoutTrace("address 100.64.10.50 is already in use",
                () -> h1.docker("network", "connect", "--ip", "100.64.10.50", "red", "bluey"));
        assertEquals(ifaces, bed.interfaces("bluey"), "no new interface in the container");
        // the address is free again once its holder is gone
        h1.dockerOk("rm", "-f", "first");
        bed.sleeper("second", "--network", "red", "--ip", "100.64.10.50");
        bed.assertPings("other", "100.64.10.50");
    }

    @Test
    void exhaustedPoolIsRefusedAndRecovers() {
        // a /29 has 6 usable addresses: the gateway and 5 containers
        create("--subnet", "100.64.30.0/29", "tiny").orThrow();
        for (int i = 1; i <= 5; i++) {
            bed.sleeper("t" + i, "--network", "tiny");
        }
        refusedWithoutTrace("no free address left in pool 100.64.30.0/29",
                () -> bed.tryRun("t6", "--network", "tiny"));
        h1.dockerOk("rm", "t6");
        // a /30 (2 usable: gateway + 1) fills with one container
        create("--subnet", "100.64.30.8/30", "tinier").orThrow();
        bed.sleeper("u1", "--network", "tinier");
        refusedWithoutTrace("no free address left in pool 100.64.30.8/30",
                () -> bed.tryRun("u2", "--network", "tinier"));
        h1.dockerOk("rm", "u2");
        // freeing one address makes room again
        String freed = bed.ip("t3", "tiny");
        h1.dockerOk("rm", "-f", "t3");
        bed.sleeper("t6", "--network", "tiny");
        assertEquals(freed, bed.ip("t6", "tiny"), "the only free address is reused");
        bed.assertPings("t6", bed.ip("t1", "tiny"));
        // pools that are too small are refused up front
        refusedWithoutTrace("pool 100.64.31.0/31 is too small: jweave needs at least a /30",
                () -> create("--subnet", "100.64.31.0/31", "nothing"));
    }

    @Test
    void ipv6IsRefused() {
        refusedWithoutTrace("jweave IPAM does not support IPv6 pools yet", () -> create("--ipv6", "six"));
        refusedWithoutTrace("jweave IPAM does not support IPv6 pools yet",
                () -> create("--ipv6", "--subnet", "100.64.60.0/24", "--subnet", "fd00:1::/64", "six"));
        create("--subnet", "100.64.60.0/24", "six").orThrow();
    }

    @Test
    void invalidDriverOptionsAreRefused() {
        refusedWithoutTrace("option com.docker.network.driver.mtu=\"abc\" is not a number",
                () -> create("-o", "com.docker.network.driver.mtu=abc", "m"));
        refusedWithoutTrace("option com.docker.network.driver.mtu=9000 is out of range: 68..1450",
                () -> create("-o", "com.docker.network.driver.mtu=9000", "m"));
        refusedWithoutTrace("option com.docker.network.driver.mtu=60 is out of range: 68..1450",
                () -> create("-o", "com.docker.network.driver.mtu=60", "m"));
        refusedWithoutTrace("unknown option \"jweave.colour\"; jweave networks accept: com.docker.network.driver.mtu",
                () -> create("-o", "jweave.colour=blue", "m"));
        refusedWithoutTrace("a jweave network has exactly one IPv4 subnet; got 2",
                () -> create("--subnet", "100.64.70.0/24", "--subnet", "100.64.71.0/24", "m"));
        create("-o", "com.docker.network.driver.mtu=1450", "m").orThrow();
    }

    @Test
    void invalidSubnetsAreRefused() {
        refusedWithoutTrace("\"100.64.20.5/24\" is not a network address (host bits are set), did you mean 100.64.20.0/24?",
                () -> create("--subnet", "100.64.20.5/24", "s"));
        refusedWithoutTrace("invalid CIDR address: 100.64.20.0/33", () -> create("--subnet", "100.64.20.0/33", "s"));
        refusedWithoutTrace("invalid CIDR address: red-subnet", () -> create("--subnet", "red-subnet", "s"));
        refusedWithoutTrace("no matching subnet for range 100.64.21.0/25",
                () -> create("--subnet", "100.64.20.0/24", "--ip-range", "100.64.21.0/25", "s"));
        refusedWithoutTrace("no matching subnet for gateway 100.64.21.1",
                () -> create("--subnet", "100.64.20.0/24", "--gateway", "100.64.21.1", "s"));
        refusedWithoutTrace("failed to allocate secondary ip address (a:100.64.20.0)",
                () -> create("--subnet", "100.64.20.0/24", "--aux-address", "a=100.64.20.0", "s"));
        create("--subnet", "100.64.20.0/24", "s").orThrow();
        assertFalse(bed.ipamAllocations().isEmpty());
    }
}
