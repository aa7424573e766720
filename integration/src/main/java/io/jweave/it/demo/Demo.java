package io.jweave.it.demo;

import io.jweave.it.testbed.Result;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.Sweeper;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./jweave demo [--keep] | --cleanup}: jweave's main job on one machine. Three simulated
 * hosts (network namespaces, each with its own dockerd and jweave router, joined by an underlay
 * switch), a network created on one, containers on each, cross-host pings, a status table, and
 * (unless --keep) a teardown that leaves nothing behind.
 */
public final class Demo {
    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        boolean keep = false;
        boolean password = false;
        for (String a : args) {
            switch (a) {
                case "--keep" -> keep = true;
                case "--password" -> password = true;
                case "--cleanup" -> {
                    List<String> swept = Sweeper.sweepStale();
                    System.out.println(swept.isEmpty() ? "jweave demo: nothing to clean up"
                            : "jweave demo: removed " + String.join(", ", swept));
                    return;
                }
                case "-h", "--help" -> {
                    System.out.println("""
                            Usage: jweave demo [--keep] [--password]
                                                            three simulated hosts, one jweave network, pings across them;
                                                            --password: a private mesh (a random password, everything
                                                            between the hosts encrypted)
                                   jweave demo --cleanup    remove what a 'demo --keep' left running""");
                    return;
                }
                default -> {
                    System.err.println("jweave demo: unknown argument " + a + " (try --help)");
                    System.exit(2);
                }
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("jweave demo: run it as root (it creates network namespaces and starts dockerd)");
            System.exit(1);
        }
        long t0 = System.nanoTime();
        step("building 3 simulated hosts (namespaces, underlay 198.51.100.0/24, one dockerd each)");
        Testbed.Builder b = Testbed.builder().hosts(3);
        if (password) {
            // a random password for the run, in a 0600 file beside each router's data directory
            byte[] r = new byte[24];
            new java.security.SecureRandom().nextBytes(r);
            b.password(java.util.Base64.getEncoder().encodeToString(r));
        }
        Testbed tb = b.start();
        boolean ok = false;
        try {
            List<RouterProcess> routers = new ArrayList<>();
            step("launching a jweave router on each host (host2 and host3 join the mesh through host1)"
                    + (password ? ", all with the same password (--password-file)" : ""));
            routers.add(RouterProcess.launch(tb.host(1)));
            routers.add(RouterProcess.launch(tb.host(2), tb.host(1).underlayIp()));
            routers.add(RouterProcess.launch(tb.host(3), tb.host(1).underlayIp()));

            SimHost h1 = tb.host(1);
            step("host1$ docker network create -d jweave --ipam-driver jweave blue");
            h1.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "blue");
            for (SimHost h : tb.hosts()) {
                awaitOk("network blue appears on " + h.name(), () -> h.docker("network", "inspect", "blue").ok());
            }
            System.out.println("      blue exists on every host: "
                    + h1.dockerOk("network", "inspect", "blue", "--format", "{{(index .IPAM.Config 0).Subnet}}").out());
            List<String> ips = new ArrayList<>();
            for (SimHost h : tb.hosts()) {
                String name = "web-" + h.name();
                step(h.name() + "$ docker run -d --name " + name + " --network blue $(jweave dns-args) busybox sleep 1d");
                h.run("-d", "--name", name, "--network", "blue", "--dns", DNS, "--dns-search", "jweave.local",
                        TestImage.NAME, "sleep", "86400");
                ips.add(h.containerIp(name, "blue"));
                System.out.println("      " + name + " has " + ips.get(ips.size() - 1));
            }
            step("pinging across hosts, container to container");
            int failures = 0;
            for (int i = 0; i < 3; i++) {
                SimHost from = tb.host(i + 1);
                for (int j = 0; j < 3; j++) {
                    if (i == j) {
                        continue;
                    }
                    String to = ips.get(j);
                    boolean reached = awaitQuietly(() -> from.docker(Duration.ofSeconds(10), "exec", "web-" + from.name(),
                            "ping", "-c", "1", "-W", "1", to).ok());
                    Result r = from.docker(Duration.ofSeconds(10), "exec", "web-" + from.name(), "ping", "-c", "3", "-W", "1", to);
                    String rtt = r.out().lines().filter(l -> l.contains("min/avg/max")).findFirst().orElse("").trim();
                    System.out.printf("      %s -> %-14s %s %s%n", "web-" + from.name(), to,
                            reached && r.ok() ? "ok  " : "FAIL", rtt);
                    if (!(reached && r.ok())) {
                        failures++;
                    }
                }
            }
            step("finding containers on other hosts by name (jweave's DNS, " + DNS + ")");
            for (int i = 0; i < 3; i++) {
                SimHost from = tb.host(i + 1);
                SimHost other = tb.host((i + 1) % 3 + 1);
                String name = "web-" + other.name();
                String expected = ips.get((i + 1) % 3);
                boolean found = awaitQuietly(() -> from.docker(Duration.ofSeconds(10), "exec", "web-" + from.name(),
                        "nslookup", name).out().contains(expected));
                System.out.printf("      %s: nslookup %-10s -> %s%n", "web-" + from.name(), name, found ? expected : "FAIL");
                if (!found) {
                    failures++;
                }
            }
            step("jweave status on host2");
            System.out.println(routers.get(1).cli("status").out().indent(6));
            if (failures > 0) {
                throw new IllegalStateException(failures + " of 6 cross-host pings and 3 cross-host lookups failed");
            }
            ok = true;
            System.out.printf("jweave demo: OK in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            if (keep) {
                tb.keepAfterExit();
                System.out.println("""

                        The demo keeps running (test bed %s). Try:
                          ip netns exec %s docker -H unix://%s exec web-host1 ping -c 2 %s
                          %s/jweave status --data-dir %s
                        Remove everything with: ./jweave demo --cleanup"""
                        .formatted(tb.runId(), h1.netns(), h1.dockerSocket(), ips.get(2), RouterProcess.REPO,
                                routers.get(0).dataDir()));
            }
        } finally {
            if (!keep || !ok) {
                step("tearing everything down");
                tb.close();
            }
        }
    }

    /** jweave's DNS address on every network (the router's default --dns-address). */
    private static final String DNS = "169.254.53.53";

    private static void step(String s) {
        System.out.println("==> " + s);
    }

    private interface Check {
        boolean ok();
    }

    private static void awaitOk(String what, Check c) throws InterruptedException {
        if (!awaitQuietly(c)) {
            throw new IllegalStateException("timed out waiting: " + what);
        }
    }

    private static boolean awaitQuietly(Check c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (c.ok()) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }
}
