package io.jweave.it.testbed;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A DNS server on the test bed's underlay, standing for "the host's upstream resolver": dnsmasq
 * (Debian's {@code dnsmasq-base}) in a network namespace of its own ({@code <prefix>updns}, so the
 * sweeper removes it with the run), joined to the underlay bridge, answering only the records given
 * and nothing else (no upstream of its own, no /etc/hosts, every query logged).
 */
public final class UpstreamDns implements AutoCloseable {
    private final String netns;
    private final String ip;
    private final Process process;
    private final Path log;

    private UpstreamDns(String netns, String ip, Process process, Path log) {
        this.netns = netns;
        this.ip = ip;
        this.process = process;
        this.log = log;
    }

    /** Starts it at {@code ip} (an unused underlay address, e.g. 198.51.100.53) answering {@code records} (name → IPv4). */
    public static UpstreamDns start(Testbed tb, String ip, Map<String, String> records) {
        if (!Files.isExecutable(Path.of("/usr/sbin/dnsmasq"))) {
            throw new TestbedException("/usr/sbin/dnsmasq is not installed (package dnsmasq-base)");
        }
        String ns = tb.prefix() + "updns";
        String ul = tb.underlayNetns();
        String port = "ul-updns";
        Commands.runOk(Duration.ofSeconds(10), "ip", "netns", "add", ns);
        Commands.runOk(Duration.ofSeconds(10), "ip", "link", "add", "eth0", "netns", ns, "type", "veth",
                "peer", "name", port, "netns", ul);
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", ul, "link", "set", port, "master", "br0", "up");
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", ns, "link", "set", "lo", "up");
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0");
        Commands.runOk(Duration.ofSeconds(10), "ip", "-n", ns, "link", "set", "eth0", "up");
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "/usr/sbin/dnsmasq", "--keep-in-foreground",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll", "--user=root", "--group=root",
                "--listen-address=" + ip, "--bind-interfaces", "--log-queries", "--log-facility=-",
                "--pid-file=/run/" + ns + ".pid"));
        records.forEach((name, addr) -> cmd.add("--address=/" + name + "/" + addr));
        Path log = tb.logDir().resolve("upstream-dns.log");
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(new File("/dev/null"))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            UpstreamDns u = new UpstreamDns(ns, ip, p, log);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!u.log().contains("started")) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    u.close();
                    throw new TestbedException("dnsmasq did not start in " + ns + ": " + u.log());
                }
                Procs.sleep(50);
            }
            return u;
        } catch (IOException e) {
            throw new TestbedException("cannot start dnsmasq: " + e.getMessage(), e);
        }
    }

    public String ip() {
        return ip;
    }

    /** What dnsmasq logged (every query it received, with the asking address). */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Commands.run(Duration.ofSeconds(10), "ip", "netns", "del", netns);
        Commands.run(Duration.ofSeconds(5), "rm", "-f", "/run/" + netns + ".pid");
    }
}
