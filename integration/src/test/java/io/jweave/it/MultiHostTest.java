package io.jweave.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    private final List<RouterHandle> routers = new ArrayList<>();

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(3).runId(runId).start();
        routers.add(RouterHandle.launch(tb.host(1)));
        routers.add(RouterHandle.launch(tb.host(2), tb.host(1).underlayIp()));
        routers.add(RouterHandle.launch(tb.host(3), tb.host(1).underlayIp()));
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
}
