package io.jweave.it;

import static io.jweave.it.MultiHostSupport.await;
import static io.jweave.it.MultiHostSupport.awaitPing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.router.status.StatusClient;
import io.jweave.router.status.StatusReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The router as the container {@code jweave-router} (image built offline, {@code jweave launch}
 * without {@code --foreground}) on two simulated hosts with real dockerd: the plugin works through
 * it across hosts, {@code jweave stop} removes it and its socket while networks and containers stay,
 * a relaunch takes over, and a dockerd restart with a jweave network and a running container with a
 * restart policy recovers on its own. The tests build on each other (ordered).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RouterContainerTest {
    /** From the start of a dockerd restart until containers on both hosts talk again. */
    static final Duration DOCKERD_RESTART_RECOVERY = Duration.ofSeconds(120);
    private static final Duration PING = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private SimHost h1;
    private SimHost h2;

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        // shared mounts: each simulated host's mount namespace is rshared, as systemd makes a real host's
        tb = Testbed.builder().hosts(2).runId(runId).sharedMounts(true).start();
        h1 = tb.host(1);
        h2 = tb.host(2);
        RouterContainers.buildImage(h1);
    }

    @AfterAll
    void down() {
        if (tb != null) {
            // containers first, while their routers still answer Docker's removal calls (else each
            // call is retried for ~15 s), then the routers; tb.close() removes whatever is left
            for (SimHost h : tb.hosts()) {
                h.docker("rm", "-f", "c1", "c2", "c3", "c4", "c5");
                RouterContainers.stop(h);
            }
            tb.close();
        }
        before.assertNoLeaks();
    }

    private static String status(SimHost h) {
        try {
            return StatusClient.get(RouterContainers.dataDir(h), "/status");
        } catch (Exception e) {
            return "";
        }
    }

    private static boolean bothPeersUp(SimHost h) {
        String s = status(h);
        return s.contains("\"host1\"") && s.contains("\"host2\"") && !s.contains("\"suspect\"") && !s.contains("\"down\"");
    }

    @Test
    @Order(1)
    void launchRunsTheRouterContainerOnTwoHostsAndThePluginWorksThroughIt() throws Exception {
        Result l1 = RouterContainers.launchOk(h1);
        assertTrue(l1.out().contains("started in container jweave-router"), l1.out());
        assertTrue(l1.out().contains("without live-restore"), "points the user at live-restore: " + l1.out());
        RouterContainers.launchOk(h2, h1.underlayIp());
        for (SimHost h : tb.hosts()) {
            assertTrue(RouterContainers.containerRunning(h), h.name());
            assertEquals("jweave/router:" + version() + " always host", h.dockerOk("inspect", "--format",
                    "{{.Config.Image}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.NetworkMode}}", "jweave-router").out());
            await(h.name() + " sees both routers up", Duration.ofSeconds(60), () -> bothPeersUp(h), () -> status(h));
            // the offline image's class-data archive: the router's JVM mapped it (it did not fall back)
            String pid = h.dockerOk("inspect", "--format", "{{.State.Pid}}", "jweave-router").out().strip();
            String maps = Files.readString(Path.of("/proc", pid, "maps"));
            assertTrue(maps.contains("/opt/jweave/router.jsa"), h.name() + ": router JVM (pid " + pid
                    + ") does not map /opt/jweave/router.jsa");
        }

        h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        await("blue on host2", Duration.ofSeconds(30), () -> h2.docker("network", "inspect", "blue").ok());
        h1.run("-d", "--name", "c1", "--restart", "always", "--network", "blue", TestImage.NAME, "sleep", "100000");
        h2.run("-d", "--name", "c2", "--network", "blue", TestImage.NAME, "sleep", "100000");
        awaitPing(h1, "c1", h2.containerIp("c2", "blue"), PING);
        awaitPing(h2, "c2", h1.containerIp("c1", "blue"), PING);

        // jweave capture through the router container: the image carries libpcap, the container may open packet sockets
        h1.dockerOk("exec", "-d", "c1", "ping", "-c", "50", "-i", "0.2", h2.containerIp("c2", "blue"));
        // 8 frames while c1 pings c2 5 times a second: other frames (an IPv6 multicast listener report when a
        // container starts, ARP) may come in between, so at least 2 of them are the pings
        Result cap = h1.execOnHost(Duration.ofMinutes(1), "sh", "-c", RouterContainers.jweave() + " capture blue -c 8 --data-dir="
                + RouterContainers.dataDir(h1) + " | tcpdump -n -r -");
        assertTrue(cap.ok(), cap.describe());
        assertEquals(8, cap.out().lines().count(), cap.describe());
        assertTrue(cap.out().lines().filter(l -> l.contains("ICMP echo")).count() >= 2, cap.describe());

        // the network's namespace is a mount on the host (made in the container, shared back)
        int vni = vni(h1);
        Path ns = RouterContainers.dataDir(h1).resolve("netns/vni-" + vni);
        assertTrue(h1.execOnHost(Duration.ofSeconds(20), "findmnt", "-n", ns.toString()).ok(),
                "namespace " + ns + " is not mounted on the host");

        Result again = RouterContainers.launch(h1, h2.underlayIp());
        assertTrue(again.ok(), again.describe());
        assertTrue(again.out().contains("already running in container jweave-router"), again.out());
    }

    @Test
    @Order(2)
    void stopRemovesContainerAndSocketWhileNetworksAndContainersStayAndRelaunchTakesOver() {
        int vni = vni(h2);
        Result stop = RouterContainers.stop(h2);
        assertTrue(stop.ok(), stop.describe());
        assertFalse(h2.docker("inspect", "jweave-router").ok(), "the container is gone");
        assertFalse(Files.exists(h2.pluginSocket()), "plugin socket removed");
        assertTrue(h2.docker("network", "inspect", "blue").ok(), "network stays");
        assertEquals("true", h2.dockerOk("inspect", "--format", "{{.State.Running}}", "c2").out(), "container stays");
        Path ns = RouterContainers.dataDir(h2).resolve("netns/vni-" + vni);
        assertTrue(h2.execOnHost(Duration.ofSeconds(20), "findmnt", "-n", ns.toString()).ok(),
                "the network's namespace outlives the router container");
        assertTrue(h2.docker("exec", "c2", "ip", "link", "show", "eth0").ok(), "c2 keeps its interface");

        Result stopAgain = RouterContainers.stop(h2);
        assertTrue(stopAgain.ok() && stopAgain.out().contains("no jweave router is running"), stopAgain.describe());

        RouterContainers.launchOk(h2, h1.underlayIp());
        await("host2 back in the mesh", Duration.ofSeconds(60), () -> bothPeersUp(h1) && bothPeersUp(h2), () -> status(h1));
        awaitPing(h1, "c1", h2.containerIp("c2", "blue"), PING);
        awaitPing(h2, "c2", h1.containerIp("c1", "blue"), PING);
        h2.run("-d", "--name", "c3", "--network", "blue", TestImage.NAME, "sleep", "100000");
        awaitPing(h1, "c1", h2.containerIp("c3", "blue"), PING);
    }

    @Test
    @Order(3)
    void dockerdRestartWithNetworkAndRunningContainersRecovers() {
        long t0 = System.nanoTime();
        h1.restartDockerd();
        long dockerdUp = System.nanoTime();
        await("router container back on host1", Duration.ofSeconds(90), () -> RouterContainers.containerRunning(h1),
                () -> h1.docker("ps", "-a").describe());
        await("c1 (restart always) running again", Duration.ofSeconds(90),
                () -> h1.docker("inspect", "--format", "{{.State.Running}}", "c1").out().equals("true"),
                () -> h1.docker("ps", "-a").describe() + "\n" + h1.docker("logs", "--tail", "30", "jweave-router").describe());
        String c1 = h1.containerIp("c1", "blue");
        awaitPing(h2, "c2", c1, DOCKERD_RESTART_RECOVERY);
        awaitPing(h1, "c1", h2.containerIp("c2", "blue"), PING);
        long recovered = System.nanoTime();
        System.out.printf("dockerd restart on host1: dockerd answering after %d ms, cross-host ping back after %d ms%n",
                (dockerdUp - t0) / 1_000_000, (recovered - t0) / 1_000_000);
        assertTrue(Duration.ofNanos(recovered - t0).compareTo(DOCKERD_RESTART_RECOVERY) <= 0,
                "recovery took " + (recovered - t0) / 1_000_000 + " ms");
        // and the plugin works for new containers
        h1.run("-d", "--name", "c4", "--network", "blue", TestImage.NAME, "sleep", "100000");
        awaitPing(h2, "c2", h1.containerIp("c4", "blue"), PING);
    }

    @Test
    @Order(4)
    void withLiveRestoreADockerdRestartLeavesRouterAndContainersRunningAndTrafficFlowing() throws Exception {
        // live-restore, set as a user would (daemon.json) and loaded with SIGHUP
        Files.writeString(h1.etcDir().resolve("docker/daemon.json"), "{\"live-restore\": true}\n");
        assertTrue(h1.exec(Duration.ofSeconds(10), "kill", "-HUP", Long.toString(h1.dockerdPid())).ok());
        await("dockerd reloaded live-restore", Duration.ofSeconds(30),
                () -> h1.docker("info", "--format", "{{.LiveRestoreEnabled}}").out().equals("true"));
        String routerPid = h1.dockerOk("inspect", "--format", "{{.State.Pid}}", "jweave-router").out();
        String c1Pid = h1.dockerOk("inspect", "--format", "{{.State.Pid}}", "c1").out();
        String c2 = h2.containerIp("c2", "blue");
        awaitPing(h1, "c1", c2, PING);
        // pings through the whole restart, 5 per second from c1's namespace (not through docker exec,
        // whose stream ends with dockerd)
        Process ping = new ProcessBuilder("nsenter", "-t", c1Pid, "-n", "ping", "-i", "0.2", "-c", "100", "-W", "1", c2)
                .redirectErrorStream(true).start();
        MultiHostSupport.sleep(2000);
        long t0 = System.nanoTime();
        h1.restartDockerd();
        long restartMs = (System.nanoTime() - t0) / 1_000_000;
        boolean pingCoveredRestart = ping.isAlive();
        assertEquals(routerPid, h1.dockerOk("inspect", "--format", "{{.State.Pid}}", "jweave-router").out(),
                "the router container kept running");
        assertEquals(c1Pid, h1.dockerOk("inspect", "--format", "{{.State.Pid}}", "c1").out(), "c1 kept running");
        assertTrue(RouterContainers.cli(h1, "status").ok(), "the router answers");
        h1.run("-d", "--name", "c5", "--network", "blue", TestImage.NAME, "sleep", "100000");
        awaitPing(h2, "c2", h1.containerIp("c5", "blue"), PING);
        String out = new String(ping.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        ping.waitFor();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) packets transmitted, (\\d+) (packets )?received").matcher(out);
        assertTrue(m.find(), out);
        int sent = Integer.parseInt(m.group(1));
        int received = Integer.parseInt(m.group(2));
        System.out.printf("dockerd restart with live-restore on host1: %d ms; pings c1 -> c2 during it: %d sent, %d received%n",
                restartMs, sent, received);
        assertTrue(pingCoveredRestart, "the pings went on through the whole restart: " + out);
        assertTrue(restartMs < 15_000, "no plugin stall at dockerd start: " + restartMs + " ms");
        assertTrue(sent - received <= 2, "traffic kept flowing: " + out);
    }

    @Test
    @Order(5)
    void aRouterThatCannotStartMakesLaunchFailWithItsLogAndLeavesNoContainer() {
        assertTrue(RouterContainers.stop(h2).ok());
        Result r = RouterContainers.launchAdvertising(h2, "198.51.100.99", h1.underlayIp());
        assertFalse(r.ok(), r.describe());
        assertTrue(r.err().contains("the router container exited") && r.err().contains("last log lines"), r.describe());
        assertTrue(r.err().contains("198.51.100.99 is not an address of this host"), "the router's own reason: " + r.describe());
        assertFalse(r.err().contains("\tat "), "no stack trace from the CLI: " + r.err());
        assertFalse(h2.docker("inspect", "jweave-router").ok(), "no container left behind (restart policy always)");
    }

    @Test
    @Order(6)
    void thePasswordReachesTheRouterContainerOnlyThroughAPrivateFileThatStopRemoves() throws Exception {
        String secret = "container-mesh-secret-" + runId;
        Path copy = RouterContainers.dataDir(h2).resolve("password");
        // JWEAVE_PASSWORD in the CLI's environment: the container must get neither the variable nor the value
        Result l = RouterContainers.launchWith(h2, java.util.Map.of("JWEAVE_PASSWORD", secret), java.util.List.of("--tunnel-port", "6790"));
        assertTrue(l.ok(), l.describe() + "\nrouter log:\n" + h2.docker("logs", "--tail", "40", "jweave-router").describe());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)));
        assertEquals(secret, Files.readString(copy));
        String inspect = h2.dockerOk("inspect", "jweave-router").out();
        assertFalse(inspect.contains(secret), "docker inspect shows the password");
        assertFalse(inspect.contains("JWEAVE_PASSWORD"), "the container got JWEAVE_PASSWORD");
        String cmd = h2.dockerOk("inspect", "--format", "{{json .Config.Cmd}}", "jweave-router").out();
        assertTrue(cmd.contains("\"--password-file=" + copy + "\"") && cmd.contains("\"--tunnel-port=6790\""), cmd);
        Result logs = h2.docker("logs", "jweave-router");
        assertTrue(logs.ok(), logs.describe());
        assertFalse(logs.out().contains(secret) || logs.err().contains(secret), "the router container logs the password");
        assertFalse(l.out().contains(secret) || l.err().contains(secret), "launch prints the password");
        assertFalse(status(h2).isEmpty(), "the router answers");
        // the router in the container runs encrypted: its TUN device (the container's /dev/net/tun) is up,
        // and its JVM has the C2 compiler the tunnel's AES-GCM needs
        assertTrue(status(h2).matches("(?s).*\"self\"\\s*:\\s*true[^}]*\"encrypted\"\\s*:\\s*true.*"),
                "the containerised router with a password is not encrypted: " + status(h2));
        assertTrue(h2.exec("ip", "link", "show", "jwtun0").ok(), "no jwtun0 on the host");
        String entrypoint = h2.dockerOk("inspect", "--format", "{{json .Config.Entrypoint}}", "jweave-router").out();
        assertTrue(entrypoint.contains("-XX:TieredStopAtLevel=4") && !entrypoint.contains("-XX:TieredStopAtLevel=1"),
                "the router container with a password runs C1 only: " + entrypoint);
        assertFalse(status(h2).contains(secret), "the status API shows the password");
        assertFalse(StatusClient.get(RouterContainers.dataDir(h2), "/report").contains(secret), "the report shows the password");

        Result stop = RouterContainers.stop(h2);
        assertTrue(stop.ok() && stop.out().contains("password copy " + copy + " removed"), stop.describe());
        assertFalse(Files.exists(copy), "jweave stop leaves the password copy");
    }

    private String version() {
        return h1.execOnHost(Duration.ofMinutes(1), RouterContainers.jweave().toString(), "version").orThrow().out()
                .replace("jweave ", "").strip();
    }

    private int vni(SimHost h) {
        try {
            StatusReport r = JSON.readValue(status(h), StatusReport.class);
            return r.networks().stream().filter(n -> "blue".equals(n.name())).findFirst()
                    .orElseThrow(() -> new AssertionError("no network blue in the status of " + h.name())).vni();
        } catch (java.io.IOException e) {
            throw new AssertionError("status of " + h.name() + ": " + e, e);
        }
    }
}
