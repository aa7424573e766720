package io.jweave.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.Testbed;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Latency of the plugin calls of one container start and stop, as Docker makes them: a router on a
 * simulated host, one network created through Docker (so the router has a real network, datapath
 * and pool), then the plugin socket driven directly over one keep-alive HTTP/1.1 connection:
 * RequestAddress, CreateEndpoint, Join, Leave, DeleteEndpoint, ReleaseAddress per iteration, with
 * a fresh 64-hex endpoint ID each time. Times are measured at the client (request written to
 * response read). A warm-up is reported apart.
 *
 * <pre>./jweave bench plugin [N=1000] [WARMUP=200] [disk|tmpfs]</pre>
 * The router's data directory (where every call's state is fsynced) is on disk by default, as
 * {@code /var/lib/jweave} is; {@code tmpfs} puts it on a tmpfs, which takes the disk out of the figures.
 */
public final class PluginLatencyBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] CALLS = {"RequestAddress", "CreateEndpoint", "Join", "Leave", "DeleteEndpoint",
        "ReleaseAddress"};

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int warm = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        boolean tmpfs = args.length > 2 && args[2].equals("tmpfs");
        System.out.printf("plugin benchmark: %d iterations (+%d warm-up) of RequestAddress, CreateEndpoint, Join, Leave, "
                + "DeleteEndpoint, ReleaseAddress over one keep-alive connection; data dir on %s (%s)%n",
                n, warm, tmpfs ? "tmpfs" : "disk", LocalDate.now());
        double[][] warmT = new double[CALLS.length + 1][warm];
        double[][] t = new double[CALLS.length + 1][n];
        try (Testbed tb = Testbed.builder().hosts(1).runId(Testbed.newRunId()).start()) {
            SimHost h = tb.host(1);
            Path dataDir = tmpfs ? tmpfsDir(h) : DockerBench.routerDataDir(h);
            DockerBench.launchRouter(h, dataDir);
            h.dockerOk("network", "create", "-d", "jweave", "--ipam-driver", "jweave", "plbench");
            String netId = h.dockerOk("network", "inspect", "-f", "{{.Id}}", "plbench").out();
            String subnet = h.dockerOk("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", "plbench").out();
            String poolId = poolId(dataDir.resolve("ipam.json"), subnet);
            int allocBefore = allocations(dataDir.resolve("ipam.json"), poolId);
            System.out.printf("network %s (%s), pool %s%n", netId.substring(0, 12), subnet, poolId);
            try (Client c = new Client(h.pluginSocket())) {
                SecureRandom rnd = new SecureRandom();
                for (int i = 0; i < warm; i++) {
                    iteration(c, rnd, netId, poolId, warmT, i);
                }
                for (int i = 0; i < n; i++) {
                    iteration(c, rnd, netId, poolId, t, i);
                }
            }
            // verify nothing is left: no endpoint link on the host, no endpoint in the router, no address
            String links = h.execOk("ip", "-o", "link").out();
            if (links.contains("jwc")) {
                throw new IllegalStateException("endpoint links left on the host:\n" + links);
            }
            JsonNode state = JSON.readTree(dataDir.resolve("router-state.json").toFile());
            if (state.path("endpoints").size() != 0) {
                throw new IllegalStateException("router still records endpoints: " + state.path("endpoints"));
            }
            int allocAfter = allocations(dataDir.resolve("ipam.json"), poolId);
            if (allocAfter != allocBefore) {
                throw new IllegalStateException("pool " + poolId + " holds " + allocAfter + " addresses, " + allocBefore
                        + " before the benchmark");
            }
            System.out.printf("verified: no jwc* link on the host, 0 endpoints in the router, %d address(es) in the pool "
                    + "as before%n", allocAfter);
            h.dockerOk("network", "rm", "plbench");
        }
        System.out.println();
        System.out.println("| call | n | p50 ms | p99 ms | max ms | warm-up p50 ms | warm-up max ms |");
        System.out.println("|---|---|---|---|---|---|---|");
        row("CreateEndpoint + Join", t[CALLS.length], warmT[CALLS.length]);
        for (int k = 0; k < CALLS.length; k++) {
            row(CALLS[k], t[k], warmT[k]);
        }
        System.out.printf("%np99 CreateEndpoint + Join: %.2f ms  (goal < 5 ms per call)%n",
                DockerBench.percentile(t[CALLS.length], 99));
    }

    private static void row(String name, double[] t, double[] w) {
        System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %s | %s |%n", name, t.length,
                DockerBench.percentile(t, 50), DockerBench.percentile(t, 99), DockerBench.max(t),
                w.length == 0 ? "" : String.format(Locale.ROOT, "%.2f", DockerBench.percentile(w, 50)),
                w.length == 0 ? "" : String.format(Locale.ROOT, "%.2f", DockerBench.max(w)));
    }

    /** One container's worth of calls, in Docker's order; times into {@code t[call][i]}. */
    private static void iteration(Client c, SecureRandom rnd, String netId, String poolId, double[][] t, int i)
            throws IOException {
        byte[] id = new byte[32];
        rnd.nextBytes(id);
        String ep = HexFormat.of().formatHex(id);
        byte[] sb = new byte[6];
        rnd.nextBytes(sb);

        ObjectNode ra = JSON.createObjectNode().put("PoolID", poolId).put("Address", "");
        ra.putNull("Options");
        long t0 = System.nanoTime();
        JsonNode addr = c.call("IpamDriver.RequestAddress", ra);
        long t1 = System.nanoTime();
        String cidr = addr.path("Address").asText();
        if (cidr.isEmpty()) {
            throw new IllegalStateException("RequestAddress returned no address: " + addr);
        }

        ObjectNode ce = JSON.createObjectNode().put("NetworkID", netId).put("EndpointID", ep);
        ce.putObject("Interface").put("Address", cidr).put("AddressIPv6", "").put("MacAddress", "");
        ObjectNode opts = ce.putObject("Options");
        opts.putArray("com.docker.network.endpoint.exposedports");
        opts.putArray("com.docker.network.portmap");
        JsonNode ceR = c.call("NetworkDriver.CreateEndpoint", ce);
        long t2 = System.nanoTime();
        if (ceR.path("Interface").path("MacAddress").asText().isEmpty()) {
            throw new IllegalStateException("CreateEndpoint returned no MAC: " + ceR);
        }

        ObjectNode j = JSON.createObjectNode().put("NetworkID", netId).put("EndpointID", ep)
                .put("SandboxKey", "/var/run/docker/netns/" + HexFormat.of().formatHex(sb));
        j.putObject("Options").putArray("com.docker.network.portmap");
        JsonNode jR = c.call("NetworkDriver.Join", j);
        long t3 = System.nanoTime();
        if (jR.path("InterfaceName").path("SrcName").asText().isEmpty()) {
            throw new IllegalStateException("Join returned no interface: " + jR);
        }

        ObjectNode ids = JSON.createObjectNode().put("NetworkID", netId).put("EndpointID", ep);
        c.call("NetworkDriver.Leave", ids);
        long t4 = System.nanoTime();
        c.call("NetworkDriver.DeleteEndpoint", ids);
        long t5 = System.nanoTime();
        String ip = cidr.substring(0, cidr.indexOf('/'));
        c.call("IpamDriver.ReleaseAddress", JSON.createObjectNode().put("PoolID", poolId).put("Address", ip));
        long t6 = System.nanoTime();

        long[] ts = {t0, t1, t2, t3, t4, t5, t6};
        for (int k = 0; k < CALLS.length; k++) {
            t[k][i] = (ts[k + 1] - ts[k]) / 1e6;
        }
        t[CALLS.length][i] = (t3 - t1) / 1e6;
    }

    /**
     * A tmpfs under the host's run directory (on this machine /run itself is on disk); the test
     * bed's sweep unmounts it with everything else under the run's paths.
     */
    private static Path tmpfsDir(SimHost h) throws IOException, InterruptedException {
        Path dir = h.runDir().resolve("jweave-tmpfs");
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("mount", "-n", "-t", "tmpfs", "-o", "size=64m,mode=0700", "jwbench", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException("mount tmpfs on " + dir + " failed: " + out);
            }
        } finally {
            p.destroy();
        }
        return dir;
    }

    /** The PoolID the router's IPAM gave the network's subnet (read from its state file). */
    private static String poolId(Path ipamJson, String subnet) throws IOException {
        for (JsonNode p : JSON.readTree(ipamJson.toFile()).path("pools")) {
            if (p.path("pool").asText().equals(subnet)) {
                return p.path("id").asText();
            }
        }
        throw new IllegalStateException("no pool " + subnet + " in " + ipamJson + ":\n" + Files.readString(ipamJson));
    }

    private static int allocations(Path ipamJson, String poolId) throws IOException {
        for (JsonNode p : JSON.readTree(ipamJson.toFile()).path("pools")) {
            if (p.path("id").asText().equals(poolId)) {
                return p.path("allocations").size();
            }
        }
        return -1;
    }

    /** Minimal HTTP/1.1 client on a Unix socket, one keep-alive connection, requests in sequence. */
    static final class Client implements AutoCloseable {
        private final SocketChannel ch;
        private final ByteBuffer in = ByteBuffer.allocate(1 << 16);

        Client(Path socket) throws IOException {
            ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            in.flip();
        }

        /** POSTs {@code /<method>} and returns the JSON answer; throws on a non-200 status. */
        JsonNode call(String method, JsonNode body) throws IOException {
            byte[] b = JSON.writeValueAsBytes(body);
            // the headers Docker's Go client sends (no Content-Type, dummy Host)
            String head = "POST /" + method + " HTTP/1.1\r\nHost: plugin.moby.localhost\r\n"
                    + "User-Agent: Go-http-client/1.1\r\nContent-Length: " + b.length + "\r\n"
                    + "Accept: application/vnd.docker.plugins.v1.2+json\r\nAccept-Encoding: gzip\r\n\r\n";
            byte[] h = head.getBytes(StandardCharsets.US_ASCII);
            ByteBuffer out = ByteBuffer.allocate(h.length + b.length).put(h).put(b).flip();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            String status = line();
            int contentLength = -1;
            for (String l = line(); !l.isEmpty(); l = line()) {
                int colon = l.indexOf(':');
                if (colon > 0 && l.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                    contentLength = Integer.parseInt(l.substring(colon + 1).trim());
                }
            }
            if (contentLength < 0) {
                throw new IOException(method + ": answer without Content-Length: " + status);
            }
            byte[] resp = new byte[contentLength];
            for (int off = 0; off < contentLength; ) {
                fill();
                int k = Math.min(in.remaining(), contentLength - off);
                in.get(resp, off, k);
                off += k;
            }
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new IOException(method + ": " + status + " " + new String(resp, StandardCharsets.UTF_8));
            }
            return JSON.readTree(resp);
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                fill();
                byte c = in.get();
                if (c == '\n') {
                    int len = sb.length();
                    return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
                }
                sb.append((char) c);
            }
        }

        private void fill() throws IOException {
            if (in.hasRemaining()) {
                return;
            }
            in.clear();
            int r = ch.read(in);
            in.flip();
            if (r < 0) {
                throw new IOException("plugin closed the connection");
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
