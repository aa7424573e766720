package io.jweave.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * jweave as Docker's network and IPAM driver on one host, driven through the docker CLI of a real
 * dockerd (Debian's docker.io) on a simulated host. host2 plays "the outside world".
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SingleHostDockerTest {
    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private SimHost h1;
    private SimHost h2;
    private RouterHandle router;

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(2).runId(runId).start();
        h1 = tb.host(1);
        h2 = tb.host(2);
        router = RouterHandle.launch(h1);
    }

    @AfterEach
    void cleanContainersAndNetworks() {
        for (String id : h1.containerIds()) {
            h1.docker("rm", "-f", id);
        }
        Result nets = h1.docker("network", "ls", "--filter", "driver=jweave", "-q");
        for (String id : nets.out().split("\\s+")) {
            if (!id.isBlank()) {
                h1.docker("network", "rm", id);
            }
        }
    }

    @AfterAll
    void down() {
        if (tb != null) {
            tb.close();
        }
        before.assertNoLeaks();
    }

    private String sleeper(String name, String... networkArgs) {
        List<String> args = new java.util.ArrayList<>(List.of("-d", "--name", name));
        args.addAll(List.of(networkArgs));
        args.addAll(List.of(TestImage.NAME, "sleep", "600"));
        return h1.run(args.toArray(String[]::new));
    }

    private Result ping(String container, String ip) {
        return h1.docker(Duration.ofSeconds(30), "exec", container, "ping", "-c", "2", "-W", "2", ip);
    }

    @Test
    void automaticNetworkCarriesTrafficBetweenContainersAndIsRemovedCleanly() throws Exception {
        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        String subnet = h1.dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        assertTrue(subnet.startsWith("100.64.") && subnet.endsWith("/24"), "automatic subnet " + subnet);

        sleeper("ca", "--network", "blue");
        sleeper("cb", "--network", "blue");
        String ipB = h1.containerIp("cb", "blue");
        Result p = ping("ca", ipB);
        assertTrue(p.ok(), p::describe);
        String mtu = h1.dockerOk("exec", "ca", "cat", "/sys/class/net/eth0/mtu").out();
        assertEquals("1450", mtu, "container MTU = underlay 1500 - 50");

        h1.dockerOk("rm", "-f", "ca", "cb");
        h1.dockerOk("network", "rm", "blue");
        try (var files = Files.list(router.dataDir().resolve("netns"))) {
            assertEquals(0, files.count(), "the network's namespace is removed with the network");
        }
        assertFalse(h1.execOk("ip", "-o", "link").out().contains("jwc"), "no endpoint link left in the host");
    }
}
