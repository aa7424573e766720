package io.jweave.it.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The test bed itself: two simulated hosts with real dockerd, underlay connectivity, containers,
 * and a teardown that leaves nothing behind. Needs root; it fails (never skips) without it.
 */
class TestbedSmokeTest {

    @Test
    void twoHostsWithDockerAndNothingLeftAfterwards() throws Exception {
        String runId = Testbed.newRunId();
        LeakCheck before = LeakCheck.snapshot(runId); // scoped: parallel runs elsewhere do not count
        List<Long> daemonPids = new ArrayList<>();
        Testbed tb = Testbed.builder().hosts(2).runId(runId).start();
        try {
            SimHost h1 = tb.host(1);
            SimHost h2 = tb.host(2);
            assertEquals("198.51.100.11", h1.underlayIp());
            assertEquals("198.51.100.12", h2.underlayIp());

            // underlay, inside the namespaces only
            Result ping = h1.exec(Duration.ofSeconds(20), "ping", "-c", "2", "-W", "2", h2.underlayIp());
            assertTrue(ping.ok(), ping::describe);
            assertEquals("host1", h1.execOk("hostname").out());

            // fault injection: pull host2's cable, then plug it back
            h2.setUnderlayLinkUp(false);
            assertFalse(h1.exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "1", h2.underlayIp()).ok(),
                    "ping must fail while host2's underlay port is down");
            h2.setUnderlayLinkUp(true);
            Result again = h1.exec(Duration.ofSeconds(20), "ping", "-c", "1", "-W", "5", h2.underlayIp());
            assertTrue(again.ok(), again::describe);

            for (SimHost h : tb.hosts()) {
                daemonPids.add(h.dockerdPid());
                assertTrue(h.dockerdPid() > 0, h + " has no dockerd");
                assertEquals(h.name(), h.dockerOk("info", "--format", "{{.Name}}").out(), "daemon host name");
                assertEquals(h.dataRoot().toString(),
                        h.dockerOk("info", "--format", "{{.DockerRootDir}}").out());
                assertTrue(h.docker("image", "inspect", TestImage.NAME).ok(), h + " lacks the test image");
                assertEquals("hello", h.run("--rm", "--network", "none", TestImage.NAME, "echo", "hello"));
                assertEquals("unix://" + h.pluginSocket() + "\n", Files.readString(h.pluginSpec()));
                // dockerd has a private /run holding only its own run directory (no machine-wide
                // /run/docker/plugins, whose sockets would win over our spec file)
                Path daemonRun = Path.of("/proc", Long.toString(h.dockerdPid()), "root", "run");
                assertTrue(Files.isDirectory(daemonRun.resolve(h.netns())), "own run dir visible to dockerd");
                assertFalse(Files.exists(daemonRun.resolve("netns")), "dockerd sees the machine's /run");
                assertTrue(h.run("--rm", "--network", "none", TestImage.NAME, "cat", "/etc/resolv.conf")
                        .contains(Testbed.UNREACHABLE_RESOLVER));
                Result iperf = h.docker("run", "--rm", "--init", "--pull", "never", "--network", "none",
                        TestImage.NAME, "iperf3", "--version");
                assertTrue(iperf.ok() && iperf.out().startsWith("iperf"), iperf::describe);
            }

            // containers on a Docker bridge network reach each other in this setup
            h1.dockerOk("network", "create", "-d", "bridge", "--subnet", "100.64.200.0/24", "tbnet");
            h1.run("-d", "--name", "server", "--network", "tbnet", TestImage.NAME, "sleep", "600");
            String ip = h1.containerIp("server", "tbnet");
            assertTrue(ip.startsWith("100.64.200."), ip);
            String out = h1.run("--rm", "--network", "tbnet", TestImage.NAME, "ping", "-c", "2", "-W", "2", ip);
            assertTrue(out.contains("2 packets received"), out);
            String byName = h1.run("--rm", "--network", "tbnet", TestImage.NAME, "ping", "-c", "1", "-W", "2", "server");
            assertTrue(byName.contains("1 packets received"), byName);

            // each dockerd finds the plugin at its own socket through /etc/netns/<ns>/docker/plugins
            try (StubPlugin stub = StubPlugin.serve(h2)) {
                h2.dockerOk("network", "create", "-d", "jweave", "--subnet", "100.64.201.0/24", "stubnet");
                assertTrue(stub.calls().contains("/Plugin.Activate"), stub.calls()::toString);
                assertTrue(stub.calls().contains("/NetworkDriver.CreateNetwork"), stub.calls()::toString);
                h2.dockerOk("network", "rm", "stubnet");
                assertTrue(stub.calls().contains("/NetworkDriver.DeleteNetwork"), stub.calls()::toString);
            }
        } finally {
            tb.close();
        }
        System.out.printf("testbed %s: start %d ms, close %d ms, steps %s, dockerd ready %s%n",
                tb.runId(), tb.startDuration().toMillis(), tb.closeDuration().toMillis(), tb.timings(),
                tb.hosts().stream().map(h -> h.name() + "=" + h.dockerdReadyAfter().toMillis() + "ms").toList());

        before.assertNoLeaks();
        for (long pid : daemonPids) {
            assertFalse(Procs.isAlive(pid), "dockerd " + pid + " still running");
        }
        for (SimHost h : tb.hosts()) {
            assertFalse(Files.exists(h.runDir()), h.runDir() + " left");
            assertFalse(Files.exists(h.dataRoot()), h.dataRoot() + " left");
            assertFalse(Files.exists(h.etcDir()), h.etcDir() + " left");
        }
        assertTrue(Files.exists(tb.host(1).dockerdLog()), "logs are kept after teardown");
    }

    @Test
    void sweeperRemovesARunWhoseOwnerDied() throws Exception {
        String runId = Testbed.newRunId();
        LeakCheck before = LeakCheck.snapshot(runId);
        Testbed tb = Testbed.builder().hosts(1).runId(runId).image(false).start();
        try {
            SimHost h = tb.host(1);
            long daemon = h.dockerdPid();
            assertTrue(daemon > 0);
            HostProcess sleeper = h.spawn("sleeper", List.of("sleep", "600"));
            assertTrue(sleeper.isAlive());

            // pretend the owning JVM crashed: the owner file names a process that is gone
            Files.writeString(Sweeper.ownerFile(tb.runId()), "999999999 1\n");
            assertTrue(Sweeper.sweepStale().contains(tb.runId()));

            assertFalse(Procs.isAlive(daemon), "dockerd of the dead run still running");
            assertFalse(Files.exists(Path.of("/run/netns", h.netns())), "namespace left");
            assertFalse(Files.exists(h.runDir()), "run dir left");
            assertFalse(Procs.isAlive(sleeper.pid()), "process in the dead run's namespace still running");
        } finally {
            tb.close(); // finds nothing left to stop
        }
        before.assertNoLeaks();
    }
}
