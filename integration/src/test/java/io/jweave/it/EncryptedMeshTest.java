package io.jweave.it;

import static io.jweave.it.MultiHostSupport.await;
import static io.jweave.it.MultiHostSupport.awaitPing;
import static io.jweave.it.MultiHostSupport.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import io.jweave.it.testbed.UnderlayCapture;
import io.jweave.router.status.StatusClient;
import io.jweave.router.status.StatusReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A mesh with a password on five simulated hosts (real dockerd each): hosts 1-3 share the password,
 * host 4 has another one, host 5 none. A capture on the underlay bridge runs from before the first
 * router starts to the end, and must never show container payload, plaintext VXLAN, plaintext mesh
 * traffic or the mesh's records. Routers rekey every 3 s, so every test also runs across rekeys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EncryptedMeshTest {
    private static final String PASSWORD = "correct horse battery staple";
    private static final String MARKER = "JWEAVE-SECRET-PAYLOAD-7f3a9c";
    private static final int REKEY_SECONDS = 3;

    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private UnderlayCapture capture;
    private final List<RouterProcess> routers = new ArrayList<>();
    private final List<String> ips = new ArrayList<>();
    private String subnet;

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(5).runId(runId).start();
        capture = UnderlayCapture.start(tb.underlayNetns(), "br0", null);
        String file = passwordFile(tb.host(1), PASSWORD).toString();
        routers.add(RouterProcess.launch(tb.host(1), "--password-file", file, "--rekey-interval", "" + REKEY_SECONDS));
        for (int i = 2; i <= 3; i++) {
            routers.add(RouterProcess.launch(tb.host(i), "--password-file", passwordFile(tb.host(i), PASSWORD).toString(),
                    "--rekey-interval", "" + REKEY_SECONDS, tb.host(1).underlayIp()));
        }
        await("hosts 1-3 in one mesh", Duration.ofSeconds(30),
                () -> routers.stream().allMatch(r -> MultiHostSupport.seesUp(r, List.of("host1", "host2", "host3"))));
    }

    @AfterAll
    void down() {
        try {
            if (capture != null) {
                try {
                    capture.writePcap(tb.logDir().resolve("underlay.pcap"));
                } catch (RuntimeException e) {
                    System.err.println("cannot write the capture: " + e);
                }
                capture.close();
            }
        } finally {
            if (tb != null) {
                tb.close();
            }
        }
        before.assertNoLeaks();
    }

    private SimHost host(int i) {
        return tb.host(i);
    }

    private RouterProcess router(int i) {
        return routers.get(i - 1);
    }

    static Path passwordFile(SimHost h, String password) {
        Path f = h.runDir().resolve("mesh-password");
        try {
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, password + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return f;
    }

    // ------------------------------------------------------------------ the multi-host scenarios, encrypted

    @Test
    @Order(1)
    void networksPingsTcpAndNamesWorkAcrossHostsAndEveryPeerIsEncrypted() {
        host(1).dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
        subnet = host(1).dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        for (int i = 1; i <= 3; i++) {
            SimHost h = host(i);
            await("network blue on " + h.name(), Duration.ofSeconds(20), () -> h.docker("network", "inspect", "blue").ok());
            h.run("-d", "--name", "c-" + h.name(), "--network", "blue", "--dns", "169.254.53.53", "--dns-search",
                    "jweave.local", TestImage.NAME, "sleep", "900");
            ips.add(h.containerIp("c-" + h.name(), "blue"));
        }
        for (int i = 1; i <= 3; i++) {
            for (int j = 1; j <= 3; j++) {
                if (i != j) {
                    awaitPing(host(i), "c-host" + i, ips.get(j - 1), Duration.ofSeconds(15));
                }
            }
        }
        // TCP across hosts, with a payload the capture must never show
        host(2).dockerOk("exec", "-d", "c-host2", "sh", "-c", "nc -l -p 7000 > /tmp/got");
        MultiHostSupport.sleep(300);
        Result sent = host(1).docker(MultiHostSupport.CMD, "exec", "c-host1", "sh", "-c",
                "for i in 1 2 3 4 5 6 7 8 9 10; do echo " + MARKER + "-$i; done | nc -w 2 " + ips.get(1) + " 7000");
        assertTrue(sent.ok(), "nc host1 -> host2: " + sent.describe());
        await("the payload arrived on host2", Duration.ofSeconds(10), () -> host(2).docker("exec", "c-host2", "cat",
                "/tmp/got").out().contains(MARKER + "-10"));
        // names across hosts through jweave's DNS
        Result ns = host(3).docker(MultiHostSupport.CMD, "exec", "c-host3", "nslookup", "c-host1", "169.254.53.53");
        assertTrue(ns.ok() && ns.out().contains(ips.get(0)), "c-host1 from host3: " + ns.describe());

        for (int i = 1; i <= 3; i++) {
            StatusReport st = status(router(i));
            for (StatusReport.Peer p : st.peers()) {
                if (p.name() != null && p.state().equals("connected")) {
                    assertTrue(p.encrypted(), router(i).dataDir() + ": peer not encrypted: " + p);
                    if (!p.self()) {
                        int from = i;
                        String peerName = p.name();
                        // with a password every peer is in the tunnel: the datapath says so, and heartbeats
                        // (through it) are answered
                        await(router(i).dataDir() + ": " + peerName + " on the tunnel", Duration.ofSeconds(20), () -> {
                            StatusReport.Peer q = status(router(from)).peers().stream()
                                    .filter(x -> peerName.equals(x.name())).findFirst().orElseThrow();
                            return "tunnel".equals(q.datapath()) && q.heartbeatRttMs() != null;
                        });
                    }
                }
            }
        }
        assertNothingInClear();
    }

    /** What the underlay capture must never show. */
    private void assertNothingInClear() {
        assertTrue(capture.count() > 100, "the capture saw almost nothing: " + capture.count() + " frames");
        // host5 has no password: its own attempts to join are plaintext by its choice, and refused
        List<String> outsider = List.of(host(5).underlayIp());
        assertTrue(UnderlayCaptureSupport.count(capture, 17, 6783, outsider) > 100, "no tunnel traffic captured");
        assertEquals(0, UnderlayCaptureSupport.count(capture, 17, 4789, List.of()), "plaintext VXLAN on the underlay");
        assertEquals(0, UnderlayCaptureSupport.count(capture, 6, 6783, outsider),
                "plaintext mesh (TCP 6783) between routers with a password");
        assertEquals(0, capture.countContaining(MARKER.getBytes(StandardCharsets.US_ASCII)), "container payload in clear");
        // no TCP between routers with a password but the tunnel's own TCP transport (6785: sealed tunnel
        // messages; the mesh is inside the tunnel), so no Hazelcast protocol header ("HZC" opens every member
        // connection) either
        assertEquals(0, UnderlayCaptureSupport.count(capture, x -> x.isTcp() && x.srcPort() != 6785 && x.dstPort() != 6785
                && !UnderlayCaptureSupport.involves(x, outsider)), "TCP between routers with a password");
        assertEquals(0, UnderlayCaptureSupport.count(capture, x -> x.isTcp() && x.payloadLength() >= 3
                && new String(x.payload(), 0, 3, StandardCharsets.US_ASCII).equals("HZC")
                && !UnderlayCaptureSupport.involves(x, outsider)), "Hazelcast bytes in clear");
        if (subnet != null) {
            assertEquals(0, capture.countContaining(subnet.getBytes(StandardCharsets.US_ASCII)),
                    "a network record (its subnet) in clear");
        }
        assertEquals(0, capture.countContaining("jweave-test/busybox".getBytes(StandardCharsets.US_ASCII)),
                "container records in clear");
    }

    // ------------------------------------------------------------------ outsiders

    @Test
    @Order(2)
    void routersWithAnotherPasswordOrNoneAreRefusedAndBothSidesSayWhy() {
        RouterProcess wrong = RouterProcess.launch(host(4), "--password-file",
                passwordFile(host(4), "not the password").toString(), tb.host(1).underlayIp());
        RouterProcess none = RouterProcess.launch(host(5), tb.host(1).underlayIp());
        try {
            String ip1 = host(1).underlayIp();
            await("host4 says host1 refused it", Duration.ofSeconds(30),
                    () -> refusal(wrong, ip1).filter(r -> r.contains("wrong password")).isPresent(),
                    () -> StatusClient.get(wrong.dataDir(), "/peers"));
            await("host1 says host4 was refused", Duration.ofSeconds(30),
                    () -> refusal(router(1), host(4).underlayIp()).filter(r -> r.contains("wrong password")).isPresent(),
                    () -> StatusClient.get(router(1).dataDir(), "/peers"));
            await("host5 (no password) says host1 wants one", Duration.ofSeconds(30),
                    () -> refusal(none, ip1).filter(r -> r.contains("requires a password")).isPresent(),
                    () -> StatusClient.get(none.dataDir(), "/peers"));
            await("host1 says host5 has no password", Duration.ofSeconds(30),
                    () -> refusal(router(1), host(5).underlayIp()).filter(r -> r.contains("no password")).isPresent(),
                    () -> StatusClient.get(router(1).dataDir(), "/peers"));
            // the outsiders are alone: no member but themselves, no network, no container reachable
            for (RouterProcess r : List.of(wrong, none)) {
                StatusReport st = status(r);
                assertEquals(List.of(r.host().name()), st.peers().stream().filter(p -> p.state().equals("connected"))
                        .map(StatusReport.Peer::name).toList(), "members seen by " + r.host().name());
                assertTrue(st.networks().isEmpty(), r.host().name() + " got networks: " + st.networks());
                assertFalse(r.host().docker("network", "inspect", "blue").ok(), r.host().name() + " has network blue");
                Result ping = r.host().exec(Duration.ofSeconds(10), "ping", "-c", "2", "-W", "1", ips.get(0));
                assertFalse(ping.ok(), r.host().name() + " reached a container: " + ping.describe());
            }
            assertTrue(logContains(wrong, "refused: wrong password"), "host4's log says why");
            assertTrue(logContains(none, "refused: it requires a password"), "host5's log says why");
            assertTrue(logContains(router(1), "refused: no password"), "host1's log names host5");
            // the mesh is unharmed
            for (int i = 1; i <= 3; i++) {
                assertTrue(MultiHostSupport.seesUp(router(i), List.of("host1", "host2", "host3")),
                        "members seen by host" + i + ": " + status(router(i)).peers());
            }
            awaitPing(host(1), "c-host1", ips.get(2), Duration.ofSeconds(10));
            assertTrue(metric(router(1), "jweave_underlay_plaintext_dropped_total{plane=\"mesh\"}") > 0,
                    "host5's plaintext mesh connects were not counted as dropped on host1");
        } finally {
            wrong.stop();
            none.stop();
        }
        assertNothingInClear();
    }

    private static Optional<String> refusal(RouterProcess r, String ip) {
        try {
            return status(r).peers().stream().filter(p -> "refused".equals(p.state()) && p.address().startsWith(ip))
                    .map(StatusReport.Peer::reason).findFirst();
        } catch (AssertionError e) {
            return Optional.empty();
        }
    }

    private static boolean logContains(RouterProcess r, String text) {
        return r.logTail().contains(text);
    }

    static double metric(RouterProcess r, String series) {
        String body = StatusClient.get(r.dataDir(), "/metrics");
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
        if (!m.find()) {
            throw new AssertionError("no metric " + series + " in /metrics of " + r.dataDir());
        }
        return Double.parseDouble(m.group(1));
    }

    // ------------------------------------------------------------------ replay and tampering

    @Test
    @Order(3)
    void replayedAndTamperedPacketsAreDroppedAndCounted() {
        // a fresh transport packet from host2 to host1 (the continuous ping keeps them coming)
        host(2).dockerOk("exec", "-d", "c-host2", "ping", "-c", "20", "-i", "0.2", ips.get(0));
        // as captured on a veth the UDP checksum is incomplete (offload): fixed, so that only the tunnel can refuse it
        byte[] frame = UnderlayCapture.fixChecksums(
                UnderlayCaptureSupport.lastTransport(capture, host(2).underlayIp(), host(1).underlayIp()));
        double replayed = metric(router(1), "jweave_tunnel_dropped_total{reason=\"replayed\"}");
        double forged = metric(router(1), "jweave_tunnel_dropped_total{reason=\"forged\"}");
        UnderlayCapture.inject(tb.underlayNetns(), host(1).underlayPort(), frame);
        await("the replayed packet counted", Duration.ofSeconds(5),
                () -> metric(router(1), "jweave_tunnel_dropped_total{reason=\"replayed\"}") >= replayed + 1);
        // the same packet with its counter moved ahead (a bit of its 5th byte: not a replay any more), so that
        // only authentication can refuse it: the counter is the AES-GCM nonce
        byte[] tampered = UnderlayCapture.flipPayloadBit(frame, 8 * (8 + 4) + 3);
        UnderlayCapture.inject(tb.underlayNetns(), host(1).underlayPort(), tampered);
        await("the tampered packet counted", Duration.ofSeconds(5),
                () -> metric(router(1), "jweave_tunnel_dropped_total{reason=\"forged\"}") >= forged + 1);
        awaitPing(host(1), "c-host1", ips.get(1), Duration.ofSeconds(10));
    }

    // ------------------------------------------------------------------ rekeying

    @Test
    @Order(4)
    void aTransferAcrossManyRekeysLosesNoConnection() {
        double rekeys = metric(router(1), "jweave_tunnel_rekeys_total") + metric(router(2), "jweave_tunnel_rekeys_total");
        host(2).dockerOk("exec", "-d", "c-host2", "iperf3", "-s", "-1");
        MultiHostSupport.sleep(500);
        Result r = host(1).docker(Duration.ofSeconds(60), "exec", "c-host1", "iperf3", "-c", ips.get(1), "-t", "12",
                "-b", "50M");
        assertTrue(r.ok(), "iperf3 across rekeys: " + r.describe());
        double after = metric(router(1), "jweave_tunnel_rekeys_total") + metric(router(2), "jweave_tunnel_rekeys_total");
        assertTrue(after - rekeys >= 3, "only " + (after - rekeys) + " rekeys during a 12 s transfer (every "
                + REKEY_SECONDS + " s wanted)");
        assertTrue(r.out().contains("receiver"), "iperf3 did not finish: " + r.out());
        assertNothingInClear();
    }

    // ------------------------------------------------------------------ crash and restart

    @Test
    @Order(5)
    void aKilledRouterLeaksNothingAndItsHostTalksAgainAfterTheRestart() {
        router(2).crash();
        long frames4789 = UnderlayCaptureSupport.count(capture, 17, 4789, List.of());
        // while host2's router is dead its kernel still has VXLAN traffic to send: none of it may leave in clear
        host(2).docker(MultiHostSupport.CMD, "exec", "c-host2", "ping", "-c", "3", "-W", "1", ips.get(0));
        assertEquals(frames4789, UnderlayCaptureSupport.count(capture, 17, 4789, List.of()), "plaintext VXLAN left host2 while its router was dead");
        router(2).start();
        await("host2 back in the mesh", Duration.ofSeconds(30),
                () -> routers.stream().allMatch(x -> MultiHostSupport.seesUp(x, List.of("host1", "host2", "host3"))));
        awaitPing(host(2), "c-host2", ips.get(0), Duration.ofSeconds(15));
        awaitPing(host(3), "c-host3", ips.get(1), Duration.ofSeconds(15));
        // a container started after the restart is reachable from the others
        host(2).run("-d", "--name", "d-host2", "--network", "blue", TestImage.NAME, "sleep", "600");
        String ip = host(2).containerIp("d-host2", "blue");
        awaitPing(host(1), "c-host1", ip, Duration.ofSeconds(15));
        assertNothingInClear();
    }
}
