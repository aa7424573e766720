package io.jweave.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.it.SingleHostBed.JweaveState;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Restarts on one host: the router killed with SIGKILL while containers talk (the kernel datapath
 * carries on, the restarted router picks up its state), and dockerd restarted under the router.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SingleHostRestartTest {
    private static final Pattern PING_SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received");
    private SingleHostBed bed;
    private SimHost h1;

    @BeforeAll
    void up() {
        bed = SingleHostBed.start();
        h1 = bed.h1;
    }

    @AfterEach
    void cleanContainersAndNetworks() {
        if (!bed.router.isAlive()) {
            bed.router.start(); // a failed test may have left it down; Docker needs it to remove things
        }
        bed.removeAll();
        bed.assertJweaveEmpty();
    }

    @AfterAll
    void down() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void routerCrashKeepsTrafficFlowingAndTheRestartedRouterTakesOver() throws Exception {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", "100.64.10.0/24", "red");
        bed.sleeper("ca", "--network", "blue");
        bed.sleeper("cb", "--network", "blue");
        bed.sleeper("cr", "--network", "red");
        h1.dockerOk("network", "connect", "red", "ca");
        String ipA = bed.ip("ca", "blue");
        String ipB = bed.ip("cb", "blue");
        String ipR = bed.ip("cr", "red");
        bed.assertPings("ca", ipB);
        JweaveState before = bed.jweaveState();

        // 25 pings over 5 s; the router is killed 1 s in and stays down until the ping is over
        CompletableFuture<Result> ping = CompletableFuture.supplyAsync(() -> h1.docker(Duration.ofSeconds(60),
                "exec", "ca", "ping", "-c", "25", "-i", "0.2", "-W", "1", ipB));
        Thread.sleep(1000);
        bed.router.crash();
        assertFalse(bed.router.isAlive(), "router killed");
        Result during = ping.get(60, TimeUnit.SECONDS);
        Matcher m = PING_SUMMARY.matcher(during.out());
        assertTrue(m.find(), during::describe);
        assertEquals("25", m.group(2), () -> "every ping answered while the router was down:\n" + during.describe());
        assertFalse(bed.router.isAlive());
        bed.assertPings("cr", bed.ip("ca", "red")); // the other network too
        assertEquals(before, bed.jweaveState(), "a crash changes nothing in the kernel or on disk");

        bed.router.start(); // same data directory
        assertEquals(before, bed.jweaveState(), "the restarted router neither duplicates nor drops anything");
        bed.assertPings("ca", ipB);

        // Docker's later calls about the old endpoints and networks are understood
        SortedSet<String> withRed = bed.interfaces("ca");
        h1.dockerOk("network", "disconnect", "red", "ca");
        assertEquals(withRed.size() - 1, bed.interfaces("ca").size(), "red's interface left ca: " + bed.interfaces("ca"));
        bed.assertNoPing("ca", ipR);
        h1.dockerOk("stop", "-t", "1", "cr");
        h1.dockerOk("rm", "cr");
        h1.dockerOk("network", "rm", "red");
        assertFalse(bed.ipamAllocations().containsKey("100.64.10.0/24"), "red's pool released: " + bed.ipamAllocations());

        // a new container attaches and reaches the old ones
        bed.sleeper("cn", "--network", "blue");
        String ipN = bed.ip("cn", "blue");
        bed.assertPings("cn", ipA);
        bed.assertPings("cn", ipB);
        bed.assertPings("ca", ipN);
        h1.dockerOk("stop", "-t", "1", "cb");
        h1.dockerOk("rm", "cb");

        String blueSubnet = h1.dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        List<String> blue = bed.ipamAllocations().get(blueSubnet);
        assertEquals(new HashSet<>(blue).size(), blue.size(), "no address twice: " + blue);
        assertEquals(3, blue.size(), "gateway + ca + cn: " + blue);
        assertTrue(blue.contains(ipA) && blue.contains(ipN) && !blue.contains(ipB), blue.toString());
        assertEquals(List.of(ipA + "/24", ipN + "/24").stream().sorted().toList(),
                bed.routerState().endpointAddresses(), "router state: endpoints of ca and cn only");
        // every veth's container end is inside a container, the bridge ends in the network's namespace
        assertEquals(List.of(), bed.hostLinks().stream().filter(l -> l.startsWith("jw")).toList(),
                "no duplicated or stale jweave link in host1: " + bed.hostLinks());
        assertEquals(1, bed.networkNamespaces().size(), bed.networkNamespaces().toString());
        h1.dockerOk("rm", "-f", "ca", "cn");
        h1.dockerOk("network", "rm", "blue");
    }

    @Test
    void containerRemovedWhileTheRouterIsDownLeavesNothingOnceItIsBack() throws Exception {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", "100.64.20.0/24", "gone");
        bed.sleeper("ck", "--network", "gone");
        bed.sleeper("cx", "--network", "gone");
        String ipX = bed.ip("cx", "gone");
        bed.router.crash();
        // Docker's Leave/DeleteEndpoint/ReleaseAddress reach nobody; it gives up after its retries
        h1.docker(Duration.ofSeconds(180), "rm", "-f", "cx");
        bed.router.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (bed.ipamAllocations().getOrDefault("100.64.20.0/24", List.of()).contains(ipX)
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        List<String> left = bed.ipamAllocations().get("100.64.20.0/24");
        assertFalse(left.contains(ipX), "the address of the removed container is released: " + left);
        assertEquals(List.of(bed.ip("ck", "gone") + "/24"), bed.routerState().endpointAddresses(),
                "only ck's endpoint is left in the router's state");
        assertEquals(List.of(), bed.hostLinks().stream().filter(l -> l.startsWith("jw")).toList(),
                "no stale interface of cx in host1: " + bed.hostLinks());
        bed.sleeper("cy", "--network", "gone", "--ip", ipX);
        bed.assertPings("ck", ipX);
        h1.dockerOk("rm", "-f", "ck", "cy");
        h1.dockerOk("network", "rm", "gone");
    }

    @Test
    void dockerdRestartKeepsNetworksWorking() {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "--subnet", "100.64.10.0/24",
                "-o", "com.docker.network.driver.mtu=1400", "red");
        bed.sleeper("keeper", "--restart", "always", "--network", "blue");
        bed.sleeper("plain", "--network", "blue");
        bed.sleeper("redone", "--network", "red", "--ip", "100.64.10.50");
        String blueSubnet = h1.dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();

        h1.restartDockerd();

        // Docker stopped every container on the way down (Leave, DeleteEndpoint, ReleaseAddress) and
        // restarted the one with a restart policy; jweave holds exactly what runs now
        assertTrue(bed.router.isAlive(), "the router does not care about dockerd's restart");
        assertEquals("true false false", h1.dockerOk("inspect", "--format", "{{.State.Running}}",
                "keeper", "plain", "redone").out().replace('\n', ' '));
        assertEquals(2, bed.ipamAllocations().get(blueSubnet).size(), "gateway + keeper: " + bed.ipamAllocations());
        assertEquals(1, bed.ipamAllocations().get("100.64.10.0/24").size(), "gateway only: " + bed.ipamAllocations());
        assertEquals(1, bed.routerState().endpointAddresses().size(), bed.routerState().toString());

        h1.dockerOk("start", "plain", "redone");
        assertEquals("100.64.10.50", bed.ip("redone", "red"), "--ip is kept across the restart");
        assertEquals("1400", h1.dockerOk("exec", "redone", "cat", "/sys/class/net/eth0/mtu").out(), "MTU option kept");
        bed.assertPings("plain", bed.ip("keeper", "blue"));
        bed.sleeper("fresh", "--network", "blue");
        bed.assertPings("fresh", bed.ip("plain", "blue"));
        bed.assertPings("keeper", bed.ip("fresh", "blue"));
        h1.dockerOk("network", "connect", "red", "fresh");
        bed.assertPings("fresh", "100.64.10.50");
        bed.assertNoPing("plain", "100.64.10.50");

        List<String> blue = bed.ipamAllocations().get(blueSubnet);
        assertEquals(4, blue.size(), "gateway + keeper + plain + fresh, nothing stale: " + blue);
        assertEquals(new HashSet<>(blue).size(), blue.size(), "no address twice: " + blue);
        assertEquals(5, bed.routerState().endpointAddresses().size(), bed.routerState().toString());
    }
}
