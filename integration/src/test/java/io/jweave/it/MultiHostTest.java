package io.jweave.it;

import io.jweave.it.testbed.RouterProcess;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Three simulated hosts, each with its own dockerd and router, the routers meshed through host1:
 * a network created on one host is usable on all, containers on different hosts talk.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiHostTest {
    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private final List<RouterProcess> routers = new ArrayList<>();

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = bed(Testbed.builder().hosts(3).runId(runId)).start();
        routers.addAll(MultiHostSupport.launchAll(tb));
    }

    /** The test bed's settings (a subclass runs the same tests on a mesh with a password). */
    Testbed.Builder bed(Testbed.Builder b) {
        return b;
    }

    @AfterEach
    void cleanUp() {
        MultiHostSupport.clean(tb.hosts());
    }

    @AfterAll
    void down() {
        if (tb != null) {
            tb.close();
        }
        before.assertNoLeaks();
    }

    static void await(String what, Duration timeout, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (cond.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
    }

    @Test
    void networkCreatedOnOneHostCarriesTrafficBetweenAllThree() throws Exception {
        SimHost a = tb.host(1);
        a.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        String subnet = a.dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        for (SimHost h : tb.hosts()) {
            await("network blue on " + h.name(), Duration.ofSeconds(20),
                    () -> h.docker("network", "inspect", "blue").ok());
            assertEquals(subnet, h.dockerOk("network", "inspect", "blue", "--format",
                    "{{(index .IPAM.Config 0).Subnet}}").out(), "same subnet on " + h.name());
        }
        List<String> ips = new ArrayList<>();
        for (SimHost h : tb.hosts()) {
            h.run("-d", "--name", "c-" + h.name(), "--network", "blue", TestImage.NAME, "sleep", "600");
            ips.add(h.containerIp("c-" + h.name(), "blue"));
        }
        assertEquals(3, ips.stream().distinct().count(), "distinct addresses " + ips);
        for (SimHost h : tb.hosts()) {
            for (int j = 0; j < 3; j++) {
                String target = ips.get(j);
                Result[] last = new Result[1];
                await(h.name() + " pings " + target, Duration.ofSeconds(15), () -> {
                    last[0] = h.docker(Duration.ofSeconds(10), "exec", "c-" + h.name(), "ping", "-c", "1", "-W", "1", target);
                    return last[0].ok();
                });
            }
        }
        // TCP data crosses hosts
        SimHost c = tb.host(3);
        c.dockerOk("exec", "-d", "c-" + c.name(), "sh", "-c", "echo jweave-tcp-ok | nc -l -p 5000");
        Thread.sleep(300);
        Result got = a.docker("exec", "c-" + a.name(), "sh", "-c", "nc " + ips.get(2) + " 5000 </dev/null");
        assertTrue(got.out().contains("jweave-tcp-ok"), got::describe);
    }

    /**
     * Two networks spanning the three hosts: each carries traffic between hosts, neither reaches
     * the other's containers (not even from another host), and each network's VXLAN device holds
     * only its own network's remote endpoints.
     */
    @Test
    void twoNetworksAcrossHostsAreIsolated() {
        List<SimHost> hosts = tb.hosts();
        MultiHostSupport.createNetwork(tb.host(1), hosts, "red");
        MultiHostSupport.createNetwork(tb.host(2), hosts, "blue");
        String redSubnet = tb.host(1).dockerOk("network", "inspect", "red", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        String blueSubnet = tb.host(1).dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        assertFalse(redSubnet.equals(blueSubnet), "red and blue got different subnets: " + redSubnet + " / " + blueSubnet);
        for (SimHost h : hosts) {
            h.run("-d", "--name", "red-" + h.name(), "--network", "red", TestImage.NAME, "sleep", "600");
            h.run("-d", "--name", "blue-" + h.name(), "--network", "blue", TestImage.NAME, "sleep", "600");
        }
        String blueOnHost1 = tb.host(1).containerIp("blue-host1", "blue");
        String redOnHost1 = tb.host(1).containerIp("red-host1", "red");
        String blueOnHost2 = tb.host(2).containerIp("blue-host2", "blue");
        String redOnHost3 = tb.host(3).containerIp("red-host3", "red");
        // both networks work across hosts
        MultiHostSupport.awaitConverged(hosts, routers, "red", Duration.ofSeconds(15));
        MultiHostSupport.awaitConverged(hosts, routers, "blue", Duration.ofSeconds(15));
        MultiHostSupport.awaitPing(tb.host(2), "red-host2", redOnHost1, Duration.ofSeconds(15));
        MultiHostSupport.awaitPing(tb.host(3), "red-host3", redOnHost1, Duration.ofSeconds(15));
        MultiHostSupport.awaitPing(tb.host(2), "blue-host2", blueOnHost1, Duration.ofSeconds(15));
        MultiHostSupport.awaitPing(tb.host(1), "blue-host1", blueOnHost2, Duration.ofSeconds(15));
        MultiHostSupport.awaitPing(tb.host(1), "red-host1", redOnHost3, Duration.ofSeconds(15));
        // ...and never into each other: red on host2 -> blue on host1 (and the other way, and on one host)
        for (int i = 0; i < 3; i++) {
            Result r = tb.host(2).docker(MultiHostSupport.CMD, "exec", "red-host2", "ping", "-c", "1", "-W", "1", blueOnHost1);
            assertFalse(r.ok(), "red container on host2 reached blue container on host1: " + r.describe());
        }
        Result back = tb.host(1).docker(MultiHostSupport.CMD, "exec", "blue-host1", "ping", "-c", "2", "-W", "1", redOnHost3);
        assertFalse(back.ok(), "blue container on host1 reached red container on host3: " + back.describe());
        Result local = tb.host(1).docker(MultiHostSupport.CMD, "exec", "blue-host1", "ping", "-c", "2", "-W", "1", redOnHost1);
        assertFalse(local.ok(), "blue container on host1 reached red container on host1: " + local.describe());
        // TCP: a listener on blue (host1) is not reachable from red (host2), but is from blue (host2)
        tb.host(1).dockerOk("exec", "-d", "blue-host1", "sh", "-c", "echo jweave-blue-only | nc -l -p 5001");
        MultiHostSupport.sleep(300);
        Result tcp = tb.host(2).docker(MultiHostSupport.CMD, "exec", "red-host2", "sh", "-c",
                "nc -w 2 " + blueOnHost1 + " 5001 </dev/null");
        assertFalse(tcp.out().contains("jweave-blue-only"), "TCP from red reached blue: " + tcp.describe());
        Result tcpOk = tb.host(2).docker(MultiHostSupport.CMD, "exec", "blue-host2", "sh", "-c",
                "nc -w 2 " + blueOnHost1 + " 5001 </dev/null");
        assertTrue(tcpOk.out().contains("jweave-blue-only"), "TCP within blue across hosts: " + tcpOk.describe());
        // the datapath says the same: red's VXLAN device knows no blue endpoint and vice versa
        List<MultiHostSupport.Endpoint> blue = MultiHostSupport.endpoints(hosts, "blue");
        for (int i = 0; i < hosts.size(); i++) {
            MultiHostSupport.Entries red = MultiHostSupport.entries(hosts.get(i), routers.get(i),
                    MultiHostSupport.vni(routers.get(i), "red"));
            for (MultiHostSupport.Endpoint b : blue) {
                assertFalse(red.neigh().stream().anyMatch(n -> n.ip().equals(b.ip()) || n.mac().equals(b.mac())),
                        hosts.get(i).name() + ": red's VXLAN device has an entry of blue's " + b + ": " + red);
            }
        }
        assertFalse(MultiHostSupport.vni(routers.get(0), "red") == MultiHostSupport.vni(routers.get(0), "blue"),
                "red and blue share a VNI");
    }
}
