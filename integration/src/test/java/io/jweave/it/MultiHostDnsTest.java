package io.jweave.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import io.jweave.it.testbed.UpstreamDns;
import io.jweave.router.status.StatusClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * DNS discovery across three simulated hosts (real dockerd each, real routers, one shared bed):
 * containers run with {@code --dns 169.254.53.53 --dns-search jweave.local} and ask with {@code dig}
 * (through Docker's embedded resolver, as applications do, or straight at the DNS address). The
 * routers forward other names to a dnsmasq this test runs on the underlay ({@code --dns-upstream}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostDnsTest {
    static final String DNS = "169.254.53.53";
    static final String DOMAIN = "jweave.local";
    static final String UPSTREAM_IP = "198.51.100.53";
    static final Duration CMD = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IPV4 = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");

    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private UpstreamDns upstream;
    private final List<RouterProcess> routers = new ArrayList<>();

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(3).runId(runId).imageTools("/usr/bin/dig").start();
        upstream = UpstreamDns.start(tb, UPSTREAM_IP, Map.of("upstream.example", "198.51.100.99"));
        routers.addAll(MultiHostSupport.launchAll(tb, "--dns-upstream", UPSTREAM_IP));
        MultiHostSupport.createNetwork(tb.host(1), tb.hosts(), "blue");
        MultiHostSupport.createNetwork(tb.host(2), tb.hosts(), "red");
        for (RouterProcess r : routers) {
            MultiHostSupport.await("DNS listeners of " + r.host().name() + " on blue and red", Duration.ofSeconds(30),
                    () -> listeners(r).containsAll(Set.of("blue", "red")), () -> dns(r).toString());
        }
    }

    @AfterEach
    void removeContainers() {
        for (SimHost h : tb.hosts()) {
            List<String> ids = h.containerIds();
            if (!ids.isEmpty()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(ids);
                h.docker(Duration.ofSeconds(60), rm.toArray(String[]::new));
            }
        }
        for (RouterProcess r : routers) {
            if (r.isAlive()) {
                MultiHostSupport.await("no container record left on " + r.host().name(), Duration.ofSeconds(20),
                        () -> containerRecords(r).isEmpty(), () -> containerRecords(r).toString());
            }
        }
    }

    @AfterAll
    void down() {
        if (upstream != null) {
            upstream.close();
        }
        if (tb != null) {
            tb.close();
        }
        before.assertNoLeaks();
    }

    // ------------------------------------------------------------------ tests

    /**
     * A name registered on host1 resolves on host2 by container name, alias, host name and FQDN;
     * the answer comes from host2's own router (the DNS address is answered per host: ARP for it
     * never crosses the VXLAN).
     */
    @Test
    @Order(1)
    void crossHostLookupByNameAliasAndFqdnAnsweredByTheLocalRouter() {
        SimHost a = tb.host(1);
        SimHost b = tb.host(2);
        run(a, "web", "blue", "--network-alias", "www", "--hostname", "webhost");
        run(b, "cli", "blue");
        String ip = a.containerIp("web", "blue");
        for (String name : List.of("web", "www", "webhost", "web." + DOMAIN, "www." + DOMAIN)) {
            awaitAnswer(b, "cli", name, Set.of(ip));
        }
        // through Docker's embedded resolver, short name with the search domain, as applications ask
        Result viaDocker = b.docker(CMD, "exec", "cli", "dig", "+short", "+search", "+time=2", "+tries=2", "www");
        assertEquals(List.of(ip), addresses(viaDocker), viaDocker::describe);
        // answered by host2's router only
        long[] q0 = queries();
        for (int i = 0; i < 5; i++) {
            assertEquals(List.of(ip), direct(b, "cli", "web." + DOMAIN, "A"));
        }
        long[] q1 = queries();
        assertTrue(q1[1] - q0[1] >= 5, "host2's router counted the 5 queries: " + q0[1] + " -> " + q1[1]);
        assertEquals(q0[0], q1[0], "host1's router got none of them");
        assertEquals(q0[2], q1[2], "host3's router got none of them");
        // dns-lookup on any host says the same
        for (RouterProcess r : routers) {
            Result l = r.cli("dns-lookup", "www");
            assertTrue(l.ok() && l.out().contains(ip) && l.out().contains("blue") && l.out().contains("host1"), l::describe);
        }
    }

    /**
     * A container sees the names of the networks it is on: red's names are NXDOMAIN from blue; a
     * container on both sees both; the DNS route survives the container leaving its first network.
     */
    @Test
    @Order(2)
    void answersAreScopedToTheNetworksAContainerShares() {
        SimHost a = tb.host(1);
        SimHost c = tb.host(3);
        run(a, "blueweb", "blue");
        run(a, "redweb", "red");
        run(c, "bluecli", "blue");
        run(c, "both", "blue");
        c.dockerOk("network", "connect", "red", "both");
        String blueIp = a.containerIp("blueweb", "blue");
        String redIp = a.containerIp("redweb", "red");
        awaitAnswer(c, "bluecli", "blueweb." + DOMAIN, Set.of(blueIp));
        awaitAnswer(c, "both", "blueweb." + DOMAIN, Set.of(blueIp));
        awaitAnswer(c, "both", "redweb." + DOMAIN, Set.of(redIp));
        assertEquals("NXDOMAIN", rcode(dig(c, "bluecli", "@" + DNS, "redweb." + DOMAIN)), "red's name from blue");
        // one DNS route in a container on two jweave networks (Docker 20.10 fails a Join whose route exists:
        // "error setting interface ... routes to [169.254.53.53/32]: file exists")
        List<String> routes = dnsRoutes(c, "both");
        assertEquals(1, routes.size(), "routes to " + DNS + " in 'both': " + routes);
        // created on two networks, then started: both Joins at start, the route once
        c.dockerOk("create", "--name", "created2", "--network", "blue", "--dns", DNS, "--dns-search", DOMAIN,
                TestImage.NAME, "sleep", "600");
        c.dockerOk("network", "connect", "red", "created2");
        c.dockerOk("start", "created2");
        assertEquals(1, dnsRoutes(c, "created2").size(), "routes in 'created2': " + dnsRoutes(c, "created2"));
        awaitAnswer(c, "created2", "redweb." + DOMAIN, Set.of(redIp));
        // leaving blue (the interface that carried the route): the route moves to red's interface
        c.dockerOk("network", "disconnect", "blue", "both");
        MultiHostSupport.await("DNS route of 'both' through its remaining interface", Duration.ofSeconds(10),
                () -> dnsRoutes(c, "both").size() == 1, () -> dnsRoutes(c, "both").toString());
        awaitAnswer(c, "both", "redweb." + DOMAIN, Set.of(redIp));
        assertEquals("NXDOMAIN", rcode(dig(c, "both", "@" + DNS, "blueweb." + DOMAIN)), "blue's name after leaving blue");
    }

    /** Three containers, one per host, under one alias: every answer has all three, in varying order. */
    @Test
    @Order(3)
    void roundRobinOverThreeContainersWithOneAlias() {
        Set<String> ips = new HashSet<>();
        for (SimHost h : tb.hosts()) {
            run(h, "rr-" + h.name(), "blue", "--network-alias", "rr");
            ips.add(h.containerIp("rr-" + h.name(), "blue"));
        }
        run(tb.host(2), "rrcli", "blue");
        awaitAnswer(tb.host(2), "rrcli", "rr." + DOMAIN, ips);
        Set<List<String>> orders = new HashSet<>();
        Result many = tb.host(2).docker(CMD, "exec", "rrcli", "sh", "-c",
                "for i in $(seq 1 20); do dig +short +time=2 +tries=2 @" + DNS + " rr." + DOMAIN + "; echo --; done");
        List<String> cur = new ArrayList<>();
        for (String line : many.out().split("\n")) {
            if (line.trim().equals("--")) {
                assertEquals(ips, new HashSet<>(cur), "every answer holds all three: " + cur);
                orders.add(List.copyOf(cur));
                cur.clear();
            } else if (IPV4.matcher(line.trim()).matches()) {
                cur.add(line.trim());
            }
        }
        assertEquals(20, countAnswers(many.out()), many::describe);
        assertTrue(orders.size() >= 2, "the order varies between answers: " + orders);
    }

    /** PTR for a registered address gives its names. */
    @Test
    @Order(4)
    void reverseLookup() {
        run(tb.host(1), "ptrweb", "blue", "--network-alias", "ptralias");
        run(tb.host(3), "ptrcli", "blue");
        String ip = tb.host(1).containerIp("ptrweb", "blue");
        awaitAnswer(tb.host(3), "ptrcli", "ptrweb." + DOMAIN, Set.of(ip));
        Result r = dig(tb.host(3), "ptrcli", "@" + DNS, "-x", ip, "+short");
        Set<String> names = new TreeSet<>(List.of(r.out().trim().split("\\s+")));
        assertTrue(names.contains("ptrweb." + DOMAIN + ".") && names.contains("ptralias." + DOMAIN + "."), r::describe);
    }

    /** Names outside the domain go to the upstream resolver (dnsmasq on the underlay). */
    @Test
    @Order(5)
    void otherNamesAreForwardedToTheUpstream() {
        run(tb.host(2), "fwcli", "blue");
        MultiHostSupport.await("upstream.example through host2's router", Duration.ofSeconds(20),
                () -> direct(tb.host(2), "fwcli", "upstream.example", "A").equals(List.of("198.51.100.99")));
        Result viaDocker = tb.host(2).docker(CMD, "exec", "fwcli", "dig", "+short", "+time=3", "+tries=2", "upstream.example");
        assertEquals(List.of("198.51.100.99"), addresses(viaDocker), viaDocker::describe);
        assertTrue(upstream.log().contains("upstream.example from " + tb.host(2).underlayIp()),
                "dnsmasq saw the query from host2's router:\n" + upstream.log());
        assertTrue(dns(routers.get(1)).path("stats").path("forwarded").asLong() > 0, "host2 counted it as forwarded");
    }

    /** NXDOMAIN for unknown names in the domain; NOERROR without answers for other types of a known name. */
    @Test
    @Order(6)
    void nxdomainAndNodata() {
        run(tb.host(1), "known", "blue");
        run(tb.host(2), "nxcli", "blue");
        String ip = tb.host(1).containerIp("known", "blue");
        awaitAnswer(tb.host(2), "nxcli", "known." + DOMAIN, Set.of(ip));
        Result nx = dig(tb.host(2), "nxcli", "@" + DNS, "nosuchname." + DOMAIN, "A");
        assertEquals("NXDOMAIN", rcode(nx), nx::describe);
        for (String type : List.of("AAAA", "MX", "TXT")) {
            Result nodata = dig(tb.host(2), "nxcli", "@" + DNS, "known." + DOMAIN, type);
            assertEquals("NOERROR", rcode(nodata), nodata::describe);
            assertEquals(0, answerCount(nodata), nodata::describe);
        }
    }

    /**
     * Manual records: 50 addresses under one name (dns-add on host1) do not fit a 512-byte UDP
     * answer: TC is set, and over TCP all 50 come back (on host3). Bad input is refused clearly;
     * dns-remove withdraws them everywhere. Also dns-args and the status section.
     */
    @Test
    @Order(7)
    void fiftyRecordsOverTcpAndManualRecords() {
        RouterProcess r1 = routers.get(0);
        String subnet = tb.host(1).dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out();
        String base = subnet.substring(0, subnet.lastIndexOf('.') + 1); // a /24 from the test range
        List<String> args = new ArrayList<>(List.of("dns-add"));
        Set<String> ips = new TreeSet<>();
        for (int i = 100; i < 150; i++) {
            args.add(base + i);
            ips.add(base + i);
        }
        args.add("big");
        Result add = r1.cli(args.toArray(String[]::new));
        assertTrue(add.ok(), add::describe);
        run(tb.host(3), "bigcli", "blue");
        awaitAnswerTcp(tb.host(3), "bigcli", "big." + DOMAIN, ips);
        Result udp = dig(tb.host(3), "bigcli", "@" + DNS, "+noedns", "+ignore", "big." + DOMAIN);
        assertTrue(flags(udp).contains("tc"), "TC over UDP: " + udp.describe());
        assertTrue(answerCount(udp) < 50, udp::describe);
        Result retried = dig(tb.host(3), "bigcli", "@" + DNS, "+noedns", "big." + DOMAIN);
        assertEquals(50, answerCount(retried), "dig retries over TCP after TC: " + retried.describe());
        // scoped to blue (its subnet holds them): not visible from red
        run(tb.host(3), "bigred", "red");
        MultiHostSupport.await("DNS on red for bigred", Duration.ofSeconds(20),
                () -> rcode(dig(tb.host(3), "bigred", "@" + DNS, "big." + DOMAIN)).equals("NXDOMAIN"));
        // bad input: one clear line, nothing added
        Result badIp = r1.cli("dns-add", "100.64.300.1", "x");
        assertFalse(badIp.ok());
        assertTrue(badIp.err().contains("\"100.64.300.1\" is not an IPv4 address"), badIp::describe);
        Result badName = r1.cli("dns-add", base + "7", "bad..name");
        assertFalse(badName.ok());
        assertTrue(badName.err().contains("\"bad..name\" is not a valid DNS name"), badName::describe);
        Result noName = r1.cli("dns-remove", "nothing-here");
        assertFalse(noName.ok());
        assertTrue(noName.err().contains("no record nothing-here." + DOMAIN), noName::describe);
        assertEquals(1, r1.cli("dns-lookup", "bad").exitCode(), "dns-lookup of an unknown name exits 1");
        // dns-args and status
        Result dnsArgs = r1.cli("dns-args");
        assertEquals("--dns " + DNS + " --dns-search " + DOMAIN, dnsArgs.out().trim(), dnsArgs::describe);
        Result status = r1.cli("status");
        assertTrue(status.out().contains("dns: " + DNS + ":53, domain " + DOMAIN) && status.out().contains("listening in blue"),
                status::describe);
        // removed on host1 -> gone on host3 within 2 s
        Result rm = r1.cli("dns-remove", "big");
        assertTrue(rm.ok(), rm::describe);
        Duration took = MultiHostSupport.await("big gone on host3", Duration.ofSeconds(10),
                () -> lookup(routers.get(2), "big").isEmpty());
        assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "removal reached host3 in " + took.toMillis() + " ms");
        assertEquals("NXDOMAIN", rcode(dig(tb.host(3), "bigcli", "@" + DNS, "big." + DOMAIN)));
    }

    /** Garbage sent to the DNS address is dropped; the server answers the next query as before. */
    @Test
    @Order(8)
    void malformedPacketsAreDroppedWithoutHarm() {
        run(tb.host(1), "target", "blue");
        run(tb.host(1), "fuzz", "blue");
        String ip = tb.host(1).containerIp("target", "blue");
        awaitAnswer(tb.host(1), "fuzz", "target." + DOMAIN, Set.of(ip));
        long malformed0 = dns(routers.get(0)).path("stats").path("malformed").asLong();
        // sent from inside the container's network namespace (busybox has no UDP client)
        String pid = tb.host(1).dockerOk("inspect", "-f", "{{.State.Pid}}", "fuzz").out();
        String script = String.join("\n",
                "import socket",
                "d = ('" + DNS + "', 53)",
                "packets = [b'garbage',                                   # not DNS at all",
                "           b'\\x01\\x02',                                  # shorter than a header",
                "           b'\\x00\\x01\\x01\\x00\\x00\\x05' + bytes(6),         # 5 questions announced, none there",
                "           b'\\x00\\x02\\x01\\x00\\x00\\x01' + bytes(6) + b'\\x3fabc',  # a label running past the end",
                "           b'\\x00\\x03\\x01\\x00\\x00\\x01' + bytes(6) + b'\\xc0\\x0c\\x00\\x01\\x00\\x01',  # a pointer loop",
                "           b'\\x00\\x04\\x81\\x00\\x00\\x01' + bytes(6) + b'\\x00\\x00\\x01\\x00\\x01',  # a response, not a query",
                "           bytes(3000)]",
                "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                "for p in packets:",
                "    u.sendto(p, d)",
                "t = socket.create_connection(d, 2); t.sendall(b'\\xff\\xffabc'); t.close()   # promises more than it sends",
                "t = socket.create_connection(d, 2); t.sendall(b'\\x00\\x07garbage'); t.settimeout(2)",
                "try:",
                "    t.recv(100)",
                "except Exception:",
                "    pass",
                "t.close()");
        Result sent = tb.host(1).exec(CMD, "nsenter", "--net=/proc/" + pid + "/ns/net", "/usr/bin/python3", "-c", script);
        assertTrue(sent.ok(), sent::describe);
        assertEquals(List.of(ip), direct(tb.host(1), "fuzz", "target." + DOMAIN, "A"), "still answers after the garbage");
        Result tcp = dig(tb.host(1), "fuzz", "@" + DNS, "+tcp", "target." + DOMAIN);
        assertEquals(List.of(ip), addresses(tcp, true), tcp::describe);
        assertTrue(routers.get(0).isAlive(), "router alive");
        long malformed1 = dns(routers.get(0)).path("stats").path("malformed").asLong();
        assertTrue(malformed1 > malformed0, "malformed counted: " + malformed0 + " -> " + malformed1);
    }

    /** {@code docker stop} on host1: the name is gone on host2 within 2 s. */
    @Test
    @Order(9)
    void recordGoneWithinTwoSecondsAfterStop() {
        run(tb.host(1), "shortlived", "blue");
        run(tb.host(2), "stopcli", "blue");
        String ip = tb.host(1).containerIp("shortlived", "blue");
        awaitAnswer(tb.host(2), "stopcli", "shortlived." + DOMAIN, Set.of(ip));
        tb.host(1).dockerOk("stop", "-t", "1", "shortlived");
        Duration took = MultiHostSupport.await("shortlived gone on host2", Duration.ofSeconds(10),
                () -> lookup(routers.get(1), "shortlived").isEmpty());
        assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "gone on host2 " + took.toMillis() + " ms after docker stop");
        assertEquals("NXDOMAIN", rcode(dig(tb.host(2), "stopcli", "@" + DNS, "shortlived." + DOMAIN)));
    }

    /** 20 start/stop cycles spread over the hosts: afterwards every router holds exactly the running containers' names. */
    @Test
    @Order(10)
    void twentyStartStopCyclesLeaveNoStaleRecord() {
        run(tb.host(1), "stayer", "blue", "--network-alias", "churn");
        for (int i = 0; i < 20; i++) {
            SimHost h = tb.host(1 + i % 3);
            String name = "churn" + i;
            run(h, name, i % 2 == 0 ? "blue" : "red", "--network-alias", "churn");
            if (i % 2 == 0) {
                h.dockerOk("stop", "-t", "1", name);
            } else {
                h.dockerOk("rm", "-f", name);
            }
        }
        String stayer = tb.host(1).containerIp("stayer", "blue");
        for (RouterProcess r : routers) {
            MultiHostSupport.await("only stayer under churn on " + r.host().name(), Duration.ofSeconds(15),
                    () -> lookup(r, "churn").equals(Set.of(stayer)), () -> lookup(r, "churn").toString());
            Set<String> names = new TreeSet<>();
            for (JsonNode rec : containerRecords(r)) {
                names.add(rec.path("name").asText());
            }
            assertFalse(names.stream().anyMatch(n -> n.matches("churn\\d+\\..*")), "stale records on " + r.host().name() + ": " + names);
        }
    }

    /**
     * host3's router is killed: its containers keep running, and the other hosts keep their names
     * (as they keep their endpoints); back, it re-publishes and nothing is lost or duplicated.
     */
    @Test
    @Order(11)
    void namesOfACrashedHostStayUntilItReturns() {
        run(tb.host(3), "survivor", "blue");
        run(tb.host(1), "watcher", "blue");
        String ip = tb.host(3).containerIp("survivor", "blue");
        awaitAnswer(tb.host(1), "watcher", "survivor." + DOMAIN, Set.of(ip));
        // a manual record of host3 (outside every subnet: visible on every network), kept in its data directory
        Result add = routers.get(2).cli("dns-add", "198.51.100.200", "persisted");
        assertTrue(add.ok(), add::describe);
        MultiHostSupport.await("persisted on host1", Duration.ofSeconds(10),
                () -> lookup(routers.get(0), "persisted").equals(Set.of("198.51.100.200")));
        routers.get(2).crash();
        MultiHostSupport.await("host1 sees host3 down", Duration.ofSeconds(20),
                () -> MultiHostSupport.seesUp(routers.get(0), List.of("host1", "host2")));
        MultiHostSupport.sleep(2_000);
        assertEquals(List.of(ip), direct(tb.host(1), "watcher", "survivor." + DOMAIN, "A"), "kept while host3's router is down");
        routers.get(2).start();
        MultiHostSupport.await("host3's router back with its names", Duration.ofSeconds(60),
                () -> lookup(routers.get(2), "survivor").equals(Set.of(ip)) && listeners(routers.get(2)).contains("blue"));
        assertEquals(Set.of(ip), lookup(routers.get(0), "survivor"));
        MultiHostSupport.await("host3's manual record back after its restart", Duration.ofSeconds(20),
                () -> lookup(routers.get(0), "persisted").equals(Set.of("198.51.100.200")));
        assertEquals(List.of("198.51.100.200"), direct(tb.host(1), "watcher", "persisted." + DOMAIN, "A"));
    }

    /** {@code jweave stop} on host3 (a clean leave): its names are gone on host1 within 2 s. */
    @Test
    @Order(12)
    void cleanLeaveWithdrawsTheHostsNamesWithinTwoSeconds() {
        run(tb.host(3), "leaver", "blue");
        run(tb.host(1), "leavecli", "blue");
        String ip = tb.host(3).containerIp("leaver", "blue");
        awaitAnswer(tb.host(1), "leavecli", "leaver." + DOMAIN, Set.of(ip));
        long t0 = System.nanoTime();
        routers.get(2).stop();
        Duration took = MultiHostSupport.await("leaver gone on host1", Duration.ofSeconds(15),
                () -> lookup(routers.get(0), "leaver").isEmpty());
        Duration sinceStop = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "gone on host1 " + took.toMillis()
                + " ms after the router exited (" + sinceStop.toMillis() + " ms after SIGTERM)");
        assertEquals("NXDOMAIN", rcode(dig(tb.host(1), "leavecli", "@" + DNS, "leaver." + DOMAIN)));
        assertEquals(Set.of(), lookup(routers.get(0), "persisted"), "host3's manual record left with it");
        // the remaining containers of host3 go with the bed; the router stays stopped (last test)
        tb.host(3).docker(Duration.ofSeconds(60), "rm", "-f", "leaver");
    }

    // ------------------------------------------------------------------ helpers

    private static void run(SimHost h, String name, String network, String... extra) {
        List<String> args = new ArrayList<>(List.of("-d", "--name", name, "--network", network, "--dns", DNS,
                "--dns-search", DOMAIN));
        args.addAll(List.of(extra));
        args.addAll(List.of(TestImage.NAME, "sleep", "600"));
        h.run(args.toArray(String[]::new));
    }

    private static Result dig(SimHost h, String container, String... args) {
        List<String> cmd = new ArrayList<>(List.of("exec", container, "dig", "+time=2", "+tries=2"));
        cmd.addAll(List.of(args));
        return h.docker(CMD, cmd.toArray(String[]::new));
    }

    /** {@code dig @DNS +short NAME TYPE}: the addresses in the answer. */
    private static List<String> direct(SimHost h, String container, String name, String type) {
        return addresses(dig(h, container, "@" + DNS, "+short", name, type));
    }

    private static List<String> addresses(Result r) {
        return addresses(r, false);
    }

    private static List<String> addresses(Result r, boolean answerSectionOnly) {
        List<String> out = new ArrayList<>();
        for (String line : r.out().split("\n")) {
            String t = line.trim();
            if (answerSectionOnly) {
                String[] f = t.split("\\s+");
                if (f.length == 5 && f[3].equals("A") && !t.startsWith(";")) {
                    out.add(f[4]);
                }
            } else if (IPV4.matcher(t).matches()) {
                out.add(t);
            }
        }
        return out;
    }

    /** Waits until NAME (through the DNS address) answers exactly {@code ips}. */
    private static void awaitAnswer(SimHost h, String container, String name, Set<String> ips) {
        List<String>[] last = new List[] {List.of()};
        MultiHostSupport.await(h.name() + "/" + container + " resolves " + name + " to " + ips, Duration.ofSeconds(20), () -> {
            last[0] = direct(h, container, name, "A");
            return new HashSet<>(last[0]).equals(ips) && last[0].size() == ips.size();
        }, () -> "last answer " + last[0]);
    }

    private static void awaitAnswerTcp(SimHost h, String container, String name, Set<String> ips) {
        List<String>[] last = new List[] {List.of()};
        MultiHostSupport.await(h.name() + "/" + container + " resolves " + name + " over TCP", Duration.ofSeconds(20), () -> {
            last[0] = addresses(dig(h, container, "@" + DNS, "+tcp", "+short", name));
            return new TreeSet<>(last[0]).equals(ips) && last[0].size() == ips.size();
        }, () -> "last answer " + last[0].size() + " addresses " + last[0]);
    }

    private static String rcode(Result r) {
        Matcher m = Pattern.compile("status: (\\w+)").matcher(r.out());
        return m.find() ? m.group(1) : "no answer: " + r.describe();
    }

    private static String flags(Result r) {
        Matcher m = Pattern.compile(";; flags: ([^;]*);").matcher(r.out());
        return m.find() ? m.group(1) : "";
    }

    private static int answerCount(Result r) {
        Matcher m = Pattern.compile("ANSWER: (\\d+)").matcher(r.out());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static int countAnswers(String out) {
        int n = 0;
        for (String line : out.split("\n")) {
            if (line.trim().equals("--")) {
                n++;
            }
        }
        return n;
    }

    /** Routes to the DNS address inside a container (ip route, from busybox). */
    private static List<String> dnsRoutes(SimHost h, String container) {
        Result r = h.docker(CMD, "exec", container, "ip", "route", "show", DNS);
        List<String> out = new ArrayList<>();
        for (String line : r.out().split("\n")) {
            if (line.startsWith(DNS)) {
                out.add(line.trim());
            }
        }
        return out;
    }

    private static JsonNode dns(RouterProcess r) {
        try {
            return JSON.readTree(StatusClient.get(r.dataDir(), "/status")).path("dns");
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("status of " + r.host().name() + ": " + e, e);
        }
    }

    private static Set<String> listeners(RouterProcess r) {
        Set<String> out = new HashSet<>();
        try {
            for (JsonNode l : dns(r).path("listeners")) {
                out.add(l.path("network").asText());
            }
        } catch (AssertionError e) {
            return Set.of();
        }
        return out;
    }

    /** The addresses router {@code r} holds for NAME (any network). */
    private static Set<String> lookup(RouterProcess r, String name) {
        try {
            JsonNode n = JSON.readTree(StatusClient.get(r.dataDir(), "/dns/lookup?name=" + name));
            Set<String> out = new TreeSet<>();
            for (JsonNode rec : n.path("records")) {
                out.add(rec.path("ip").asText());
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The records of containers (not manual ones) router {@code r} holds. */
    private static List<JsonNode> containerRecords(RouterProcess r) {
        try {
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode rec : JSON.readTree(StatusClient.get(r.dataDir(), "/dns")).path("records")) {
                if (!rec.path("container").asText().isEmpty()) {
                    out.add(rec);
                }
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The DNS query counters of the three routers. */
    private long[] queries() {
        long[] q = new long[routers.size()];
        for (int i = 0; i < q.length; i++) {
            q[i] = dns(routers.get(i)).path("stats").path("queries").asLong();
        }
        return q;
    }
}
