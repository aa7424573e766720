package io.jweave.it.bench;

import io.jweave.router.dns.DnsRegistry;
import io.jweave.router.dns.DnsServer;
import io.jweave.router.dns.DnsServerConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.concurrent.EventExecutor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The DNS server core alone, on loopback (no Docker, no mesh): dnsperf against jweave's {@link DnsServer}
 * answering 1,000 names of the domain from an in-memory registry, and, in the same run, against a
 * baseline that does no DNS work at all (a Netty epoll UDP responder with as many threads and the same
 * socket settings that sends every query straight back with QR set: the ceiling of loopback, Netty and
 * dnsperf on this machine),
 * the same lookups answered through netty-codec-dns message objects instead of the hand-written codec,
 * plus dnsmasq answering the same names from a hosts file when dnsmasq is installed.
 *
 * <p>Per target: queries per second with 10 and 100 outstanding (dnsperf -q), and latency p50/p99 at a
 * fixed 10,000 queries per second (dnsperf -Q 10000, per-query latencies from -v).
 *
 * <pre>./jweave bench dns-core [SECONDS] [ROUNDS]</pre>
 */
public final class DnsCoreBench {
    private static final int NAMES = 1000;

    private DnsCoreBench() {
    }

    /** cpuUs: CPU time of the server per answered query in the q=100 run (robust against other load). */
    record Result(double qps10, double qps100, double p50ms, double p99ms, long lost, double cpuUs) {
    }

    /** CPU nanoseconds used so far by a server. */
    interface Cpu {
        long nanos() throws IOException;
    }

    private static final Cpu JVM = () -> ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();

    private static Cpu process(long pid) {
        return () -> {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // USER_HZ = 100
        };
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int threads = Runtime.getRuntime().availableProcessors();
        if (!onPath("dnsperf")) {
            System.err.println("jweave bench dns-core: dnsperf not installed (scripts/install-prereqs.sh tests)");
            System.exit(1);
        }
        Path dir = Files.createTempDirectory("jweave-dnsbench");
        Path data = dir.resolve("queries.txt");
        Path hosts = dir.resolve("hosts");
        StringBuilder q = new StringBuilder();
        StringBuilder h = new StringBuilder();
        Map<String, List<Inet4Address>> names = new HashMap<>();
        for (int i = 0; i < NAMES; i++) {
            String fqdn = "web" + i + ".jweave.local";
            Inet4Address a = (Inet4Address) InetAddress.getByAddress(new byte[] {100, 64, (byte) (i >> 8), (byte) i});
            names.put(fqdn, List.of(a));
            q.append(fqdn).append(" A\n");
            h.append(a.getHostAddress()).append(' ').append(fqdn).append('\n');
        }
        Files.writeString(data, q);
        Files.writeString(hosts, h);
        DnsRegistry registry = new DnsRegistry() {
            @Override
            public Set<String> scope(String network, Inet4Address client) {
                return Set.of(network);
            }

            @Override
            public List<Inet4Address> addresses(String fqdn, Set<String> networks) {
                return networks.contains("bench") ? names.getOrDefault(fqdn, List.of()) : List.of();
            }

            @Override
            public List<String> names(Inet4Address address, Set<String> networks) {
                return List.of();
            }
        };
        System.out.printf("DNS server core benchmark: dnsperf on loopback, %d names, A queries, %d s per run, %d round(s),"
                + " %d server threads, %d cores (shared: results vary with other load)%n", NAMES, seconds, rounds, threads,
                Runtime.getRuntime().availableProcessors());
        Map<String, List<Result>> results = new java.util.LinkedHashMap<>();
        try (DnsServer server = new DnsServer(DnsServerConfig.of("jweave.local", 5, List.of()), registry, threads);
                Echo echo = new Echo(threads, null);
                Echo codec = new Echo(threads, registry)) {
            int jweavePort = server.listen("bench", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).address().getPort();
            Process dnsmasq = null;
            int dnsmasqPort = -1;
            if (onPath("dnsmasq")) {
                dnsmasqPort = freePort();
                dnsmasq = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--port=" + dnsmasqPort,
                        "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts", "--addn-hosts="
                        + hosts, "--cache-size=10000", "--local=/jweave.local/", "--log-facility=-", "--user=root",
                        "--pid-file=" + dir.resolve("dnsmasq.pid")).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("dnsmasq.log").toFile()).start();
                Thread.sleep(500);
            }
            try {
                // warm-up (JIT) of the Java servers
                run(data, jweavePort, Math.max(2, seconds / 2), "-q", "100");
                run(data, echo.port, Math.max(2, seconds / 2), "-q", "100");
                run(data, codec.port, Math.max(2, seconds / 2), "-q", "100");
                for (int r = 0; r < rounds; r++) {
                    results.computeIfAbsent("echo (ceiling)", k -> new ArrayList<>()).add(measure(data, echo.port, seconds, JVM));
                    results.computeIfAbsent("jweave DnsServer", k -> new ArrayList<>())
                            .add(measure(data, jweavePort, seconds, JVM));
                    results.computeIfAbsent("netty-codec-dns", k -> new ArrayList<>())
                            .add(measure(data, codec.port, seconds, JVM));
                    if (dnsmasq != null && dnsmasq.isAlive()) {
                        results.computeIfAbsent("dnsmasq", k -> new ArrayList<>())
                                .add(measure(data, dnsmasqPort, seconds, process(dnsmasq.pid())));
                    }
                }
            } finally {
                if (dnsmasq != null) {
                    dnsmasq.destroy();
                    dnsmasq.waitFor(5, TimeUnit.SECONDS);
                }
            }
            System.out.printf("%nserver counters: %s%n", server.stats());
        }
        Result base = median(results.get("echo (ceiling)"));
        System.out.printf("%n%-18s %10s %10s %8s %8s %6s %12s %13s %11s%n", "target", "qps q=10", "qps q=100", "p50 ms",
                "p99 ms", "lost", "q=100 / echo", "CPU us/query", "CPU / echo");
        for (var e : results.entrySet()) {
            Result m = median(e.getValue());
            System.out.printf("%-18s %10.0f %10.0f %8.3f %8.3f %6d %12.2f %13.1f %11.2f%n", e.getKey(), m.qps10(), m.qps100(),
                    m.p50ms(), m.p99ms(), m.lost(), m.qps100() / base.qps100(), m.cpuUs(), m.cpuUs() / base.cpuUs());
        }
        System.out.println("(p50/p99 at 10,000 queries/s offered, 100 outstanding; CPU: server process time during the"
                + " q=100 run per completed query, JVM incl. GC and JIT; medians over rounds)");
        Result j = median(results.get("jweave DnsServer"));
        System.out.printf("goals: >= 60000 qps at 100 outstanding: %s (%.0f); p99 < 2 ms at 10k qps: %s (%.3f ms)%n",
                j.qps100() >= 60000 ? "met" : "NOT met", j.qps100(), j.p99ms() < 2 ? "met" : "NOT met", j.p99ms());
        try (var s = Files.list(dir)) {
            s.forEach(p -> p.toFile().delete());
        }
        Files.deleteIfExists(dir);
    }

    private static Result measure(Path data, int port, int seconds, Cpu cpu) throws IOException, InterruptedException {
        String r10 = run(data, port, seconds, "-q", "10");
        long c0 = cpu.nanos();
        String r100 = run(data, port, seconds, "-q", "100");
        long cpuNanos = cpu.nanos() - c0;
        String lat = run(data, port, seconds, "-q", "100", "-Q", "10000", "-v");
        List<Double> ms = DnsperfOutput.latenciesMs(lat);
        if (ms.isEmpty()) {
            throw new IllegalStateException("dnsperf -v printed no per-query latencies:\n" + lat.lines().limit(20)
                    .reduce("", (a, b) -> a + b + "\n"));
        }
        double[] a = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        long lost = DnsperfOutput.lost(r10) + DnsperfOutput.lost(r100) + DnsperfOutput.lost(lat);
        double completed = DnsperfOutput.completed(r100);
        return new Result(DnsperfOutput.qps(r10), DnsperfOutput.qps(r100), a[(int) (a.length * 0.50)], a[Math.min(a.length - 1, (int) (a.length * 0.99))],
                lost, completed > 0 ? cpuNanos / 1000.0 / completed : Double.NaN);
    }

    private static String run(Path data, int port, int seconds, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("dnsperf", "-s", "127.0.0.1", "-p", String.valueOf(port), "-d",
                data.toString(), "-l", String.valueOf(seconds), "-c", "4", "-t", "2"));
        cmd.addAll(Arrays.asList(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("dnsperf failed: " + String.join(" ", cmd) + "\n" + out);
        }
        return out.toString();
    }

    private static Result median(List<Result> rs) {
        if (rs.size() == 1) {
            return rs.get(0);
        }
        return new Result(med(rs.stream().mapToDouble(Result::qps10).toArray()), med(rs.stream().mapToDouble(Result::qps100).toArray()),
                med(rs.stream().mapToDouble(Result::p50ms).toArray()), med(rs.stream().mapToDouble(Result::p99ms).toArray()),
                rs.stream().mapToLong(Result::lost).sum(), med(rs.stream().mapToDouble(Result::cpuUs).toArray()));
    }

    private static double med(double[] v) {
        Arrays.sort(v);
        return v[v.length / 2];
    }

    private static boolean onPath(String cmd) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, cmd))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", cmd));
    }

    private static int freePort() throws IOException {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }

    /**
     * The baselines, one SO_REUSEPORT socket per thread with the same settings as DnsServer's listeners.
     * Without a registry: every datagram goes straight back with QR set (the echo ceiling). With one: the
     * same lookups answered through netty-codec-dns message objects (DatagramDnsQueryDecoder, a
     * DatagramDnsResponse with DefaultDnsRawRecord answers, DatagramDnsResponseEncoder), i.e. what the
     * server would cost built on the codec's objects instead of its hand-written DnsWire.
     */
    private static final class Echo implements AutoCloseable {
        final MultiThreadIoEventLoopGroup group;
        final List<Channel> channels = new ArrayList<>();
        final int port;

        Echo(int threads, DnsRegistry registry) {
            group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
            PooledByteBufAllocator alloc = new PooledByteBufAllocator(true, 0, threads, 8192, 7, 256, 64, false);
            int p = 0;
            for (EventExecutor e : group) {
                Channel ch = new Bootstrap().group((io.netty.channel.EventLoop) e).channel(EpollDatagramChannel.class)
                        .option(EpollChannelOption.SO_REUSEPORT, true)
                        // the same transport settings as DnsServer's listeners: only the DNS work differs
                        .option(ChannelOption.ALLOCATOR, alloc)
                        .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 1232)
                        .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(1232 * 16))
                        .option(ChannelOption.SO_RCVBUF, 1 << 20)
                        .handler(registry == null ? new EchoHandler() : new io.netty.channel.ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel c) {
                                c.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                        new CodecHandler(registry));
                            }
                        })
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p)).syncUninterruptibly().channel();
                channels.add(ch);
                p = ((InetSocketAddress) ch.localAddress()).getPort();
            }
            port = p;
        }

        @Override
        public void close() {
            for (Channel c : channels) {
                c.close().syncUninterruptibly();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket d = (DatagramPacket) msg;
            if (d.content().readableBytes() < 12) {
                d.release();
                return;
            }
            int i = d.content().readerIndex() + 2;
            d.content().setByte(i, d.content().getByte(i) | 0x80);
            ctx.write(new DatagramPacket(d.content(), d.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** A minimal authoritative server on netty-codec-dns objects: A records or NXDOMAIN, TTL 5. */
    private static final class CodecHandler extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        private final DnsRegistry registry;

        CodecHandler(DnsRegistry registry) {
            this.registry = registry;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) {
            DnsQuestion question = q.recordAt(DnsSection.QUESTION);
            DatagramDnsResponse r = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
            r.setAuthoritativeAnswer(true);
            r.setRecursionDesired(q.isRecursionDesired());
            r.addRecord(DnsSection.QUESTION, question);
            String name = question.name().toLowerCase(java.util.Locale.ROOT);
            if (name.endsWith(".")) {
                name = name.substring(0, name.length() - 1);
            }
            List<Inet4Address> addrs = question.type() == DnsRecordType.A
                    ? registry.addresses(name, registry.scope("bench", null)) : List.of();
            for (Inet4Address a : addrs) {
                r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.A, 5,
                        ctx.alloc().ioBuffer(4).writeBytes(a.getAddress())));
            }
            if (addrs.isEmpty()) {
                r.setCode(DnsResponseCode.NXDOMAIN);
            }
            ctx.write(r, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }
}
