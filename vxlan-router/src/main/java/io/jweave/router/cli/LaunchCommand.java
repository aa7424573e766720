package io.jweave.router.cli;

import io.jweave.netlink.Address;
import io.jweave.netlink.Handle;
import io.jweave.netlink.IpPrefix;
import io.jweave.netlink.Route;
import io.jweave.netlink.sys.Sys;
import io.jweave.router.MeshPassword;
import io.jweave.router.Router;
import io.jweave.router.RouterConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jweave launch}: starts this host's router. */
@Command(name = "launch", description = {
        "Start the jweave router on this host: the Docker network and IPAM plugin at --plugin-socket,",
        "and the datapath. With --foreground the router runs in this process until SIGTERM/SIGINT;",
        "otherwise it runs as the container jweave-router of the local dockerd (image jweave/router:<version>,",
        "loaded from an offline build when missing; restart policy always) and launch returns once it",
        "answers. Launching a router that is already running does nothing (jweave stop first to change options)."})
public final class LaunchCommand implements Callable<Integer> {

    @Option(names = "--name", description = "Router name, unique in the mesh (default: the host name).")
    String name;

    @Option(names = "--advertise-addr", paramLabel = "IP",
            description = "Underlay address of this host (default: the address of the interface holding the default route).")
    String advertiseAddr;

    @Option(names = "--docker-host", paramLabel = "URI", defaultValue = "unix:///var/run/docker.sock",
            description = "The local dockerd (default: ${DEFAULT-VALUE}).")
    String dockerHost;

    @Option(names = "--plugin-socket", paramLabel = "PATH", defaultValue = "/run/docker/plugins/jweave.sock",
            description = "Where Docker finds the plugin (default: ${DEFAULT-VALUE}).")
    Path pluginSocket;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "/var/lib/jweave",
            description = "Persistent state (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--ipalloc-range", paramLabel = "CIDR", defaultValue = "10.32.0.0/12",
            description = "Range automatic subnets are taken from (default: ${DEFAULT-VALUE}).")
    String ipallocRange;

    @Option(names = "--ipalloc-subnet-size", paramLabel = "BITS", defaultValue = "24",
            description = "Prefix length of automatic subnets (default: ${DEFAULT-VALUE}).")
    int subnetSize;

    @Option(names = "--dns-domain", paramLabel = "DOMAIN", defaultValue = "jweave.local",
            description = "DNS domain of container names (default: ${DEFAULT-VALUE}).")
    String dnsDomain;

    @Option(names = "--vxlan-port", paramLabel = "PORT", defaultValue = "4789",
            description = "UDP port of VXLAN between hosts (default: ${DEFAULT-VALUE}).")
    int vxlanPort;

    @Option(names = "--mesh-port", paramLabel = "PORT", defaultValue = "6783",
            description = "TCP port of the mesh between routers (default: ${DEFAULT-VALUE}).")
    int meshPort;

    @Option(names = "--cluster-name", paramLabel = "NAME", defaultValue = "jweave",
            description = "Name of the mesh; routers join only a mesh of the same name (default: ${DEFAULT-VALUE}).")
    String clusterName;

    @Option(names = "--reclaim-grace", paramLabel = "DURATION", defaultValue = "10m",
            description = "How long a host may be gone before the mesh reclaims its address blocks and drops its "
                    + "endpoints, e.g. 90s, 10m, 2h (default: ${DEFAULT-VALUE}).")
    String reclaimGrace;

    @Option(names = "--dns-address", paramLabel = "IP", defaultValue = "169.254.53.53",
            description = "Address of jweave's DNS server on every jweave network; containers use it with --dns "
                    + "(default: ${DEFAULT-VALUE}).")
    String dnsAddress;

    @Option(names = "--dns-ttl", paramLabel = "SECONDS", defaultValue = "5",
            description = "TTL of DNS answers for container names (default: ${DEFAULT-VALUE}).")
    int dnsTtl;

    @Option(names = "--dns-upstream", paramLabel = "IP[:PORT]",
            description = "Upstream resolver for names outside the jweave domain (repeatable; default: the "
                    + "nameservers of /etc/resolv.conf).")
    List<String> dnsUpstreams = new ArrayList<>();

    @Option(names = "--http-addr", paramLabel = "IP:PORT", defaultValue = "127.0.0.1:6784",
            description = "Loopback address of the HTTP status API and Prometheus /metrics (default: ${DEFAULT-VALUE}).")
    String httpAddr;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "File holding the mesh's password (mode 0600; one trailing newline is ignored): the mesh "
                    + "is private, every router of it needs the same password. Without it, the environment variable "
                    + "JWEAVE_PASSWORD is used if set. In container mode the router gets a copy in DATA-DIR/password "
                    + "(mode 0600), removed by jweave stop.")
    Path passwordFile;

    @Option(names = "--tunnel-port", paramLabel = "PORT", defaultValue = "6783",
            description = "UDP port of the tunnel between routers: every packet between hosts with a password, a peer's "
                    + "packets when the kernel path to it fails without one (default: ${DEFAULT-VALUE}).")
    int tunnelPort;

    @Option(names = "--tunnel-tcp-port", paramLabel = "PORT", defaultValue = "6785",
            description = "TCP port of the tunnel's last resort, when no UDP passes between two hosts (default: ${DEFAULT-VALUE}).")
    int tunnelTcpPort;

    /** Tests only: rekey the tunnel sooner than every 120 s. */
    @Option(names = "--rekey-interval", paramLabel = "SECONDS", hidden = true)
    Integer rekeyInterval;

    /** Where JWEAVE_PASSWORD is read from (tests replace it). */
    java.util.Map<String, String> environment = System.getenv();

    @Option(names = "--foreground", description = "Run the router in this process.")
    boolean foreground;

    @Option(names = "--docker-netns-dir", paramLabel = "DIR", defaultValue = "/var/run/docker/netns",
            description = "Container mode: where dockerd keeps containers' network namespaces (EXEC-ROOT/netns; "
                    + "default: ${DEFAULT-VALUE}), mounted into the router container.")
    Path dockerNetnsDir;

    @Parameters(paramLabel = "PEER", arity = "0..*", description = "Other routers to join (addresses or host names).")
    List<String> peers = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        RouterConfig cfg = config();
        if (!foreground) {
            List<String> args = new ArrayList<>(List.of("--name=" + cfg.name(),
                    "--advertise-addr=" + cfg.advertiseAddr().getHostAddress()));
            args.addAll(rawArgs().stream().filter(a -> !a.startsWith("--name=") && !a.startsWith("--advertise-addr=")).toList());
            return RouterContainer.launch(cfg, args, dockerNetnsDir.toAbsolutePath());
        }
        CountDownLatch stop = new CountDownLatch(1);
        Router router = new Router(cfg);
        Files.deleteIfExists(StopMarker.file(cfg.dataDir()));
        Thread hook = new Thread(() -> {
            if (StopMarker.inContainer()) {
                StopMarker.lingerWhileEndpoints(router, cfg.dataDir());
            }
            router.close();
            stop.countDown();
        }, "jweave-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        router.start();
        System.out.println("jweave router " + cfg.name() + " ready: plugin at " + cfg.pluginSocket()
                + ", advertise " + cfg.advertiseAddr().getHostAddress() + ", data " + cfg.dataDir());
        System.out.flush();
        stop.await();
        return 0;
    }

    private List<String> rawArgs() {
        List<String> a = new ArrayList<>();
        if (name != null) {
            a.add("--name=" + name);
        }
        if (advertiseAddr != null) {
            a.add("--advertise-addr=" + advertiseAddr);
        }
        a.add("--docker-host=" + dockerHost);
        a.add("--plugin-socket=" + pluginSocket);
        a.add("--data-dir=" + dataDir);
        a.add("--ipalloc-range=" + ipallocRange);
        a.add("--ipalloc-subnet-size=" + subnetSize);
        a.add("--dns-domain=" + dnsDomain);
        a.add("--vxlan-port=" + vxlanPort);
        a.add("--mesh-port=" + meshPort);
        a.add("--cluster-name=" + clusterName);
        a.add("--reclaim-grace=" + reclaimGrace);
        a.add("--dns-address=" + dnsAddress);
        a.add("--dns-ttl=" + dnsTtl);
        for (String u : dnsUpstreams) {
            a.add("--dns-upstream=" + u);
        }
        a.add("--http-addr=" + httpAddr);
        a.add("--tunnel-port=" + tunnelPort);
        a.add("--tunnel-tcp-port=" + tunnelTcpPort);
        if (rekeyInterval != null) {
            a.add("--rekey-interval=" + rekeyInterval);
        }
        // the password: never on the command line; RouterContainer adds --password-file DATA-DIR/password
        a.addAll(peers);
        return a;
    }

    RouterConfig config() throws Exception {
        if (vxlanPort < 1 || vxlanPort > 65535) {
            throw new IllegalArgumentException("--vxlan-port " + vxlanPort + " is not a UDP port (1-65535)");
        }
        if (meshPort < 1 || meshPort > 65535) {
            throw new IllegalArgumentException("--mesh-port " + meshPort + " is not a TCP port (1-65535)");
        }
        if (tunnelPort < 1 || tunnelPort > 65535) {
            throw new IllegalArgumentException("--tunnel-port " + tunnelPort + " is not a UDP port (1-65535)");
        }
        if (tunnelTcpPort < 1 || tunnelTcpPort > 65535) {
            throw new IllegalArgumentException("--tunnel-tcp-port " + tunnelTcpPort + " is not a TCP port (1-65535)");
        }
        if (tunnelTcpPort == meshPort) {
            throw new IllegalArgumentException("--tunnel-tcp-port " + tunnelTcpPort + " is also the --mesh-port: choose another");
        }
        if (tunnelPort == vxlanPort) {
            throw new IllegalArgumentException("--tunnel-port " + tunnelPort + " is also the --vxlan-port: choose another");
        }
        java.time.Duration rekeyAfter = RouterConfig.DEFAULT_REKEY_AFTER;
        if (rekeyInterval != null) {
            if (rekeyInterval < 1 || rekeyInterval > RouterConfig.DEFAULT_REKEY_AFTER.toSeconds()) {
                throw new IllegalArgumentException("--rekey-interval " + rekeyInterval + " must be between 1 and "
                        + RouterConfig.DEFAULT_REKEY_AFTER.toSeconds() + " seconds");
            }
            rekeyAfter = java.time.Duration.ofSeconds(rekeyInterval);
        }
        if (subnetSize < 8 || subnetSize > 30) {
            throw new IllegalArgumentException("--ipalloc-subnet-size " + subnetSize + " must be between 8 and 30");
        }
        if (dnsTtl < 0 || dnsTtl > 86400) {
            throw new IllegalArgumentException("--dns-ttl " + dnsTtl + " must be between 0 and 86400 seconds");
        }
        InetAddress dnsAddr;
        try {
            dnsAddr = IpPrefix.parseAddress(dnsAddress);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--dns-address: " + e.getMessage());
        }
        if (!(dnsAddr instanceof java.net.Inet4Address)) {
            throw new IllegalArgumentException("--dns-address " + dnsAddress + " must be an IPv4 address");
        }
        io.jweave.ipam.Cidr range;
        try {
            range = io.jweave.ipam.Cidr.parse(ipallocRange);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--ipalloc-range \"" + ipallocRange + "\": " + e.getMessage());
        }
        if (range.contains(io.jweave.ipam.Ipv4Address.parse(dnsAddr.getHostAddress()))) {
            throw new IllegalArgumentException("--ipalloc-range " + ipallocRange + " holds the DNS address "
                    + dnsAddr.getHostAddress() + " (--dns-address): choose a range or an address outside the other");
        }
        for (String u : dnsUpstreams) {
            hostPort("--dns-upstream", u, 53);
        }
        InetSocketAddress http = hostPort("--http-addr", httpAddr, 6784);
        String n = name != null ? name : hostName();
        if (!n.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            throw new IllegalArgumentException("--name \"" + n + "\" must be 1-63 letters, digits, '.', '_' or '-'");
        }
        requireSocketPath("--plugin-socket", pluginSocket.toAbsolutePath());
        requireSocketPath("--data-dir", io.jweave.router.status.StatusServer.socketIn(dataDir.toAbsolutePath()));
        MeshPassword password = password();
        InetAddress adv = advertiseAddr != null ? parseAdvertise(advertiseAddr) : defaultRouteAddress();
        return new RouterConfig(n, adv, dockerHost, pluginSocket.toAbsolutePath(), dataDir.toAbsolutePath(),
                ipallocRange, subnetSize, dnsDomain, vxlanPort, peers, meshPort, clusterName, duration(reclaimGrace),
                dnsAddr, dnsTtl, dnsUpstreams, http, password, tunnelPort, rekeyAfter, tunnelTcpPort);
    }

    /** --password-file (checked as ssh checks a key), else JWEAVE_PASSWORD, else null. */
    private MeshPassword password() {
        if (passwordFile != null && !foreground
                && passwordFile.toAbsolutePath().normalize().equals(RouterContainer.passwordFile(dataDir.toAbsolutePath()).normalize())) {
            throw new IllegalArgumentException("--password-file " + passwordFile + " is the copy jweave keeps for the router "
                    + "container in its data directory (removed by jweave stop): keep the password elsewhere, e.g. "
                    + "/etc/jweave/password");
        }
        return MeshPassword.resolve(passwordFile, environment).orElse(null);
    }

    /** A Unix socket the router will bind: its path must fit a socket address. */
    private static void requireSocketPath(String option, Path socket) {
        int bytes = socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > io.jweave.router.status.UnixHttp.MAX_SOCKET_PATH) {
            throw new IllegalArgumentException(option + ": the socket path " + socket + " is " + bytes
                    + " bytes long, longer than the " + io.jweave.router.status.UnixHttp.MAX_SOCKET_PATH
                    + " a socket address holds; choose a shorter path");
        }
    }

    /** {@code IP} or {@code IP:PORT} (IPv4), with a clear error naming the option. */
    static InetSocketAddress hostPort(String option, String s, int defaultPort) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9.]+)(?::(\\d{1,5}))?").matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " \"" + s + "\" is not IP or IP:PORT");
        }
        InetAddress a;
        try {
            a = IpPrefix.parseAddress(m.group(1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
        int port = m.group(2) == null ? defaultPort : Integer.parseInt(m.group(2));
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(option + " \"" + s + "\": port " + port + " is not 1-65535");
        }
        return new InetSocketAddress(a, port);
    }

    /** {@code 90s}, {@code 10m}, {@code 2h}, or a number of seconds. */
    static java.time.Duration duration(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([smh]?)").matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("--reclaim-grace \"" + s + "\" is not a duration like 90s, 10m or 2h");
        }
        long n = Long.parseLong(m.group(1));
        java.time.Duration d = switch (m.group(2)) {
            case "m" -> java.time.Duration.ofMinutes(n);
            case "h" -> java.time.Duration.ofHours(n);
            default -> java.time.Duration.ofSeconds(n);
        };
        if (d.compareTo(java.time.Duration.ofSeconds(10)) < 0) {
            throw new IllegalArgumentException("--reclaim-grace " + s + " is shorter than 10s: a router restart would lose its addresses");
        }
        return d;
    }

    private static InetAddress parseAdvertise(String s) {
        try {
            return IpPrefix.parseAddress(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--advertise-addr: " + e.getMessage());
        }
    }

    static String hostName() throws Exception {
        Path p = Path.of("/proc/sys/kernel/hostname");
        return Files.exists(p) ? Files.readString(p).trim() : InetAddress.getLocalHost().getHostName();
    }

    /** The first IPv4 address of the interface that holds the default route. */
    static InetAddress defaultRouteAddress() {
        try (Handle h = Handle.open()) {
            Route def = h.routes().list(Sys.AF_INET).stream().filter(Route::isDefault).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(
                            "this host has no default route; pass --advertise-addr with its underlay address"));
            return h.addresses().list(null).stream()
                    .filter(a -> a.linkIndex() == def.linkIndex() && a.prefix().family() == Sys.AF_INET)
                    .map(Address::prefix).map(IpPrefix::address).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the default route's interface (#"
                            + def.linkIndex() + ") has no IPv4 address; pass --advertise-addr"));
        }
    }
}
