package io.jweave.it;

import static io.jweave.it.MultiHostSupport.await;
import static io.jweave.it.MultiHostSupport.awaitPing;
import static io.jweave.it.MultiHostSupport.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import io.jweave.router.status.StatusClient;
import io.jweave.router.status.StatusReport;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A datapath that heals itself, on three simulated hosts without a password (real dockerd each): the kernel
 * path to host 3 is broken in three ways (UDP 4789 dropped, all UDP dropped, an MTU black hole on its
 * switch port) and made lossy; containers keep talking through the tunnel, come back to VXLAN when the
 * path heals, and the host1-host2 pair never moves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SelfHealingTest {
    private static final Duration FALLBACK_WITHIN = Duration.ofSeconds(10);
    private static final Duration BACK_WITHIN = Duration.ofSeconds(30);
    /** Allowance for the test's own polling (docker exec, status over a socket) on top of the product's budget. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private List<RouterProcess> routers;
    private final List<String> ips = new ArrayList<>();

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(3).runId(runId).start();
        routers = MultiHostSupport.launchAll(tb);
        await("three routers in one mesh", Duration.ofSeconds(30),
                () -> routers.stream().allMatch(r -> MultiHostSupport.seesUp(r, List.of("host1", "host2", "host3"))));
        MultiHostSupport.createNetwork(host(1), tb.hosts(), "heal");
        for (int i = 1; i <= 3; i++) {
            SimHost h = host(i);
            h.run("-d", "--name", "c" + i, "--network", "heal", TestImage.NAME, "sleep", "1200");
            ips.add(h.containerIp("c" + i, "heal"));
        }
        for (int i = 1; i <= 3; i++) {
            for (int j = 1; j <= 3; j++) {
                if (i != j) {
                    awaitPing(host(i), "c" + i, ip(j), Duration.ofSeconds(20));
                }
            }
        }
    }

    @AfterAll
    void down() {
        try {
            if (tb != null) {
                tb.close();
            }
        } finally {
            if (before != null) {
                before.assertNoLeaks();
            }
        }
    }

    /** Whatever a test broke is mended, even if it failed. */
    @AfterEach
    void mend() {
        if (tb == null) {
            return;
        }
        for (int i = 1; i <= 3; i++) {
            host(i).exec("nft", "delete", "table", "inet", "jwtest");
        }
        switchPortMtu(1500);
    }

    /**
     * The MTU of host 3's port on the underlay switch: frames larger than it are dropped without a word. With
     * Docker on the machine br_netfilter is loaded, and a bridge that calls iptables refragments IPv4 packets
     * without DF to the port's MTU, as a router would: for a switch that drops, the underlay namespace's bridge
     * stops calling iptables while the port is small.
     */
    private void switchPortMtu(int mtu) {
        sh("ip", "-n", tb.underlayNetns(), "link", "set", host(3).underlayPort(), "mtu", "" + mtu);
        String f = "/proc/sys/net/bridge/bridge-nf-call-iptables"; // absent while br_netfilter is not loaded
        sh("ip", "netns", "exec", tb.underlayNetns(), "sh", "-c", "if [ -e " + f + " ]; then echo "
                + (mtu < 1500 ? 0 : 1) + " > " + f + "; fi");
    }

    private static void sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private SimHost host(int i) {
        return tb.host(i);
    }

    private RouterProcess router(int i) {
        return routers.get(i - 1);
    }

    private String ip(int i) {
        return ips.get(i - 1);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Drops what {@code match} selects arriving on host {@code i}'s underlay interface (as a security group
     * or a firewall on the wire would; what the tunnel delivers on jwtun0 is not touched).
     */
    private void dropOn(int i, String match) {
        String rules = "add table inet jwtest ; add chain inet jwtest in { type filter hook input priority -50 ; } ; "
                + "add rule inet jwtest in iifname \"" + host(i).underlayDevice() + "\" " + match + " drop";
        Result r = host(i).exec("nft", rules);
        assertTrue(r.ok(), "nft on host" + i + ": " + r.describe());
    }

    private void undrop(int i) {
        host(i).execOk("nft", "delete", "table", "inet", "jwtest");
    }

    /**
     * Waits until the pair's path has been on vxlan for {@code PathVerdict.FLAP_WINDOW_ROUNDS} seconds, so the
     * next break is not taken for a flap of the last one (which would double the time to come back).
     */
    private void awaitSettled(int from, int to) {
        await("host" + from + " -> host" + to + " settled on vxlan", Duration.ofSeconds(120), () -> {
            StatusReport.Peer p = peer(router(from), "host" + to);
            return "vxlan".equals(p.datapath()) && java.time.Instant.parse(p.datapathSince())
                    .isBefore(java.time.Instant.now().minusSeconds(io.jweave.health.PathVerdict.FLAP_WINDOW_ROUNDS + 2));
        }, () -> peers(from));
    }

    private static StatusReport.Peer peer(RouterProcess r, String name) {
        return status(r).peers().stream().filter(p -> name.equals(p.name())).findFirst()
                .orElseThrow(() -> new AssertionError("no peer " + name + " in " + status(r).peers()));
    }

    private String datapath(int from, int to) {
        return peer(router(from), "host" + to).datapath();
    }

    private String peers(int from) {
        return StatusClient.get(router(from).dataDir(), "/peers");
    }

    /** Pings until an answer comes back; returns the time from {@code t0} (System.nanoTime) to that answer. */
    private Duration firstReplyAfter(long t0, int from, int to, Duration timeout, String... pingArgs) {
        long deadline = t0 + timeout.toNanos();
        Result last = null;
        while (System.nanoTime() < deadline) {
            List<String> cmd = new ArrayList<>(List.of("exec", "c" + from, "ping", "-c", "1", "-W", "1"));
            cmd.addAll(List.of(pingArgs));
            cmd.add(ip(to));
            last = host(from).docker(MultiHostSupport.CMD, cmd.toArray(String[]::new));
            if (last.ok()) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
        }
        throw new AssertionError("c" + from + " got no reply from c" + to + " within " + timeout.toMillis() + " ms: "
                + (last == null ? "" : last.describe()) + "\npeers of host" + from + ": " + peers(from));
    }

    /** Waits until the pair's datapath (as {@code from} sees it) is {@code want}; returns how long from t0. */
    private Duration awaitDatapath(long t0, int from, int to, String want, Duration timeout) {
        long deadline = t0 + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (want.equals(datapath(from, to))) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
            MultiHostSupport.sleep(200);
        }
        throw new AssertionError("host" + from + " -> host" + to + " is not on " + want + " after " + timeout.toMillis()
                + " ms; peers of host" + from + ": " + peers(from));
    }

    private String metrics(int i) {
        return StatusClient.get(router(i).dataDir(), "/metrics");
    }

    private static double metric(String scrape, String line) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\S+)$").matcher(scrape);
        if (!m.find()) {
            throw new AssertionError("no metric " + line + " in:\n" + scrape);
        }
        return Double.parseDouble(m.group(1));
    }

    private String routerLog(int i) {
        try {
            return Files.readString(router(i).process().log());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** An iperf3 transfer from c1 to c3 of {@code seconds}, running in the background. */
    private CompletableFuture<Result> iperf(int seconds) {
        host(3).dockerOk("exec", "-d", "c3", "iperf3", "-s", "-1");
        MultiHostSupport.sleep(500);
        return CompletableFuture.supplyAsync(() -> host(1).docker(Duration.ofSeconds(seconds + 60), "exec", "c1", "iperf3",
                "-c", ip(3), "-t", "" + seconds, "-b", "50M", "--connect-timeout", "5000"));
    }

    private static void assertIperfSurvived(CompletableFuture<Result> f) {
        Result r = f.join();
        assertTrue(r.ok(), "the iperf3 connection did not survive the switches: " + r.describe());
        assertTrue(r.out().contains("receiver"), "iperf3 did not finish: " + r.out());
    }

    // ------------------------------------------------------------------ tests

    @Test
    @Order(1)
    void everyPairStartsOnTheKernelPathWithHeartbeatFigures() {
        for (int i = 1; i <= 3; i++) {
            for (int j = 1; j <= 3; j++) {
                if (i != j) {
                    int from = i;
                    int to = j;
                    await("host" + i + " sees host" + j + " on vxlan with a heartbeat rtt", Duration.ofSeconds(15),
                            () -> "vxlan".equals(datapath(from, to)) && peer(router(from), "host" + to).heartbeatRttMs() != null,
                            () -> peers(from));
                }
            }
        }
        // the first heartbeats may go before the peer has programmed its way back; then none is lost
        await("no heartbeat lost host1 -> host3", Duration.ofSeconds(30),
                () -> peer(router(1), "host3").heartbeatLoss() == 0.0, () -> peers(1));
        StatusReport.Peer p = peer(router(1), "host3");
        assertTrue(p.datapathReason().contains("answered"), p.datapathReason());
        String m = metrics(1);
        assertEquals(1.0, metric(m, "jweave_peer_datapath{datapath=\"vxlan\",peer=\"host3\"}"));
        assertEquals(0.0, metric(m, "jweave_peer_datapath{datapath=\"tunnel\",peer=\"host3\"}"));
        assertTrue(metric(m, "jweave_heartbeat_bytes_total{direction=\"tx\"}") > 1400, "full-size heartbeats sent");
        Result peersCli = router(1).cli("peers");
        assertTrue(peersCli.ok() && peersCli.out().contains("DATAPATH") && peersCli.out().contains("vxlan"),
                peersCli.describe());
    }

    @Test
    @Order(2)
    void vxlanBlockedToOneHostMovesOnlyItsPairsToTheTunnelAndBack() {
        awaitDatapath(System.nanoTime(), 1, 3, "vxlan", Duration.ofSeconds(30));
        CompletableFuture<Result> transfer = iperf(70);
        MultiHostSupport.sleep(2000);
        long t0 = System.nanoTime();
        dropOn(3, "udp dport 4789");
        Duration pingBack = firstReplyAfter(t0 + 1_500_000_000L, 1, 3, FALLBACK_WITHIN.plus(SLACK));
        Duration fell = awaitDatapath(t0, 1, 3, "tunnel", FALLBACK_WITHIN.plus(SLACK));
        awaitDatapath(t0, 3, 1, "tunnel", FALLBACK_WITHIN.plus(SLACK));
        awaitDatapath(t0, 2, 3, "tunnel", FALLBACK_WITHIN.plus(SLACK));
        firstReplyAfter(System.nanoTime(), 3, 2, FALLBACK_WITHIN);
        System.out.printf("vxlan blocked: pings c1->c3 back %d ms after the block, datapath tunnel after %d ms%n",
                pingBack.toMillis() + 1500, fell.toMillis());
        assertEquals("vxlan", datapath(1, 2), "the host1-host2 pair moved: " + peers(1));
        assertEquals("vxlan", datapath(2, 1), "the host1-host2 pair moved: " + peers(2));
        StatusReport.Peer p = peer(router(1), "host3");
        assertTrue(p.datapathReason().contains("no heartbeat answered"), p.datapathReason());
        String m = metrics(1);
        assertEquals(1.0, metric(m, "jweave_peer_datapath{datapath=\"tunnel\",peer=\"host3\"}"));
        assertEquals(0.0, metric(m, "jweave_peer_datapath{datapath=\"vxlan\",peer=\"host3\"}"));
        assertTrue(routerLog(1).contains("peer host3 (" + host(3).underlayIp() + "): datapath vxlan -> tunnel"),
                "no log line for the switch");
        Result st = router(1).cli("status");
        assertTrue(st.ok() && st.out().contains("tunnel since") && st.out().contains("no heartbeat answered"),
                "jweave status does not tell: " + st.describe());

        // Heartbeats must keep testing the kernel path while the pair is on the tunnel: still blocked, it must
        // not look healed (20 answered rounds would bring it back) however long it stays there.
        MultiHostSupport.sleep(Math.max(0, 25_000 - Duration.ofNanos(System.nanoTime() - t0).toMillis() + fell.toMillis()));
        assertEquals("tunnel", datapath(1, 3), "the pair came back while the kernel path is still blocked: " + peers(1));
        long t1 = System.nanoTime();
        undrop(3);
        Duration back = awaitDatapath(t1, 1, 3, "vxlan", BACK_WITHIN.plus(SLACK));
        awaitDatapath(t1, 3, 1, "vxlan", BACK_WITHIN.plus(SLACK));
        awaitDatapath(t1, 2, 3, "vxlan", BACK_WITHIN.plus(SLACK));
        System.out.printf("vxlan unblocked: back on vxlan after %d ms%n", back.toMillis());
        firstReplyAfter(System.nanoTime(), 1, 3, Duration.ofSeconds(5));
        assertIperfSurvived(transfer);
        assertTrue(routerLog(1).contains("datapath tunnel -> vxlan"), "no log line for the way back");
        assertTrue(metric(metrics(1), "jweave_peer_datapath_switches{peer=\"host3\"}") >= 2);
    }

    @Test
    @Order(3)
    void withAllUdpDroppedTrafficGoesOverTcp() {
        awaitDatapath(System.nanoTime(), 1, 2, "vxlan", Duration.ofSeconds(30));
        long t0 = System.nanoTime();
        dropOn(2, "meta l4proto udp");
        Duration pingBack = firstReplyAfter(t0 + 1_500_000_000L, 1, 2, FALLBACK_WITHIN.plus(SLACK));
        awaitDatapath(t0, 1, 2, "tcp", FALLBACK_WITHIN.plus(SLACK));
        awaitDatapath(t0, 2, 3, "tcp", FALLBACK_WITHIN.plus(SLACK));
        System.out.printf("all udp blocked: pings back %d ms after the block%n", pingBack.toMillis() + 1500);
        assertTrue(peer(router(1), "host2").datapathReason().contains("tcp"), peers(1));
        // a TCP transfer across it
        host(2).dockerOk("exec", "-d", "c2", "iperf3", "-s", "-1");
        MultiHostSupport.sleep(500);
        Result r = host(1).docker(Duration.ofSeconds(60), "exec", "c1", "iperf3", "-c", ip(2), "-t", "3",
                "--connect-timeout", "5000");
        assertTrue(r.ok() && r.out().contains("receiver"), "iperf3 over the tcp tunnel: " + r.describe());
        assertEquals("vxlan", datapath(1, 3), "the host1-host3 pair moved: " + peers(1));
        long t1 = System.nanoTime();
        undrop(2);
        awaitDatapath(t1, 1, 2, "vxlan", BACK_WITHIN.plus(SLACK));
        awaitDatapath(t1, 2, 1, "vxlan", BACK_WITHIN.plus(SLACK));
    }

    @Test
    @Order(4)
    void anMtuBlackHoleIsFoundAndFullSizeFramesCrossThroughTheTunnel() {
        awaitSettled(1, 3);
        awaitSettled(3, 1);
        // host3's port on the underlay switch carries 1400-byte frames: larger ones vanish without an ICMP
        long t0 = System.nanoTime();
        switchPortMtu(1400);
        assertTrue(MultiHostSupport.pings(host(1), "c1", ip(3)), "small pings still cross a black hole");
        awaitDatapath(t0, 1, 3, "tunnel", FALLBACK_WITHIN.plus(SLACK));
        StatusReport.Peer p = peer(router(1), "host3");
        assertTrue(p.datapathReason().contains("black hole"), "status says why: " + p.datapathReason());
        // full-size frames cross: 1422 bytes of ICMP payload make a 1450-byte packet, the container's MTU
        // (busybox ping sends it whole; it cannot be larger without fragmenting in the container)
        firstReplyAfter(System.nanoTime(), 1, 3, Duration.ofSeconds(10), "-s", "1422");
        firstReplyAfter(System.nanoTime(), 3, 1, Duration.ofSeconds(10), "-s", "1422");
        host(3).dockerOk("exec", "-d", "c3", "iperf3", "-s", "-1");
        MultiHostSupport.sleep(500);
        Result r = host(1).docker(Duration.ofSeconds(60), "exec", "c1", "iperf3", "-c", ip(3), "-t", "3",
                "--connect-timeout", "5000");
        assertTrue(r.ok() && r.out().contains("receiver"), "a TCP transfer through the black hole: " + r.describe());
        assertEquals("vxlan", datapath(1, 2));
        switchPortMtu(1500);
        awaitDatapath(System.nanoTime(), 1, 3, "vxlan", BACK_WITHIN.plus(SLACK));
    }

    @Test
    @Order(5)
    void aLossyKernelPathSwitchesAtMostOnceAMinute() {
        awaitDatapath(System.nanoTime(), 2, 1, "vxlan", Duration.ofSeconds(30));
        int[][] pairs = {{1, 2}, {1, 3}, {2, 1}, {3, 1}};
        long[] before = new long[pairs.length];
        for (int k = 0; k < pairs.length; k++) {
            before[k] = peer(router(pairs[k][0]), "host" + pairs[k][1]).datapathSwitches();
        }
        dropOn(1, "udp dport 4789 numgen random mod 5 == 0"); // 20 % of the kernel path's packets to host1
        int seconds = 90;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        int sent = 0;
        int answered = 0;
        while (System.nanoTime() < end) {
            sent++;
            if (MultiHostSupport.pings(host(2), "c2", ip(1))) {
                answered++;
            }
            MultiHostSupport.sleep(1000);
        }
        for (int k = 0; k < pairs.length; k++) {
            long n = peer(router(pairs[k][0]), "host" + pairs[k][1]).datapathSwitches() - before[k];
            assertTrue(n <= (seconds + 59) / 60, "host" + pairs[k][0] + " -> host" + pairs[k][1] + ": " + n
                    + " switches in " + seconds + " s of 20 % loss: " + peers(pairs[k][0]));
        }
        System.out.printf("20 %% loss for %d s: %d of %d pings c2 -> c1 answered%n", seconds, answered, sent);
        // containers kept talking, on whichever path (each ping and its answer cross a 20 %-lossy path once)
        assertTrue(answered >= sent / 2, answered + " of " + sent + " pings answered");
        assertEquals("vxlan", datapath(2, 3), "the host2-host3 pair moved: " + peers(2));
    }
}
