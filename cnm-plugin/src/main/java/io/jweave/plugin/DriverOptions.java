package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The free-form {@code Options} map Docker sends with CreateNetwork, CreateEndpoint, Join and
 * ProgramExternalConnectivity, with typed readers for the keys Docker is known to put there.
 *
 * <p>The map is kept as decoded (strings, booleans, numbers, nested maps and lists), so options
 * Docker adds in later versions are not lost. Readers never throw on unexpected shapes: a value of
 * the wrong type reads as absent. {@code "Options": null} and a missing map read as {@link #EMPTY}.
 *
 * <p>Network options (CreateNetwork): {@link #generic()} holds the {@code -o k=v} options of
 * {@code docker network create} ({@code com.docker.network.generic}, a nested object of strings);
 * {@link #enableIpv6()}, {@link #enableIpv4()}, {@link #internal()}.
 * Endpoint/sandbox options (CreateEndpoint, Join): {@link #portBindings()}, {@link #exposedPorts()},
 * {@link #macAddress()}, {@link #dnsServers()}; per-endpoint driver options
 * ({@code docker network connect --driver-opt k=v}) are top-level strings, read with {@link #string}.
 */
public record DriverOptions(Map<String, Object> raw) {

    /** Nested object of strings: the {@code -o/--opt} options of {@code docker network create}. */
    public static final String GENERIC = "com.docker.network.generic";
    public static final String ENABLE_IPV6 = "com.docker.network.enable_ipv6";
    /** Sent by Docker ≥ v28 only; absent means IPv4 is enabled. */
    public static final String ENABLE_IPV4 = "com.docker.network.enable_ipv4";
    public static final String INTERNAL = "com.docker.network.internal";
    /** A generic ({@code -o}) option: the MTU the user asked for. */
    public static final String MTU = "com.docker.network.driver.mtu";
    public static final String PORT_MAP = "com.docker.network.portmap";
    public static final String EXPOSED_PORTS = "com.docker.network.endpoint.exposedports";
    /** A user-given MAC as Go raw bytes, i.e. base64 in JSON. Prefer {@code Interface.MacAddress}. */
    public static final String MAC_ADDRESS = "com.docker.network.endpoint.macaddress";
    public static final String DNS_SERVERS = "com.docker.network.endpoint.dnsservers";

    public static final DriverOptions EMPTY = new DriverOptions(Map.of());

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public DriverOptions {
        raw = Wire.map(raw);
    }

    /** Wire form: the map itself. */
    @Override
    @JsonValue
    public Map<String, Object> raw() {
        return raw;
    }

    public static DriverOptions of(Map<String, ?> raw) {
        return new DriverOptions(raw == null ? Map.of() : new LinkedHashMap<>(raw));
    }

    /** The raw value under {@code key}, if present and not JSON {@code null}. */
    public Optional<Object> value(String key) {
        return Optional.ofNullable(raw.get(key));
    }

    /** A top-level option as a string (scalars are converted; objects and lists read as absent). */
    public Optional<String> string(String key) {
        return Optional.ofNullable(scalar(raw.get(key)));
    }

    /**
     * A boolean option: JSON {@code true/false} or the strings {@code "true"/"false"} (any case);
     * anything else, or absence, gives {@code fallback}.
     */
    public boolean flag(String key, boolean fallback) {
        Object v = raw.get(key);
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            if (s.equalsIgnoreCase("true")) {
                return true;
            }
            if (s.equalsIgnoreCase("false")) {
                return false;
            }
        }
        return fallback;
    }

    /** The {@code -o k=v} options ({@code com.docker.network.generic}); empty when absent. */
    public Map<String, String> generic() {
        if (!(raw.get(GENERIC) instanceof Map<?, ?> nested)) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        nested.forEach((k, v) -> {
            String s = scalar(v);
            if (k != null && s != null) {
                out.put(k.toString(), s);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /** One {@code -o} option. */
    public Optional<String> genericOption(String key) {
        return Optional.ofNullable(generic().get(key));
    }

    /** {@code -o com.docker.network.driver.mtu=N}, if given and a valid positive integer. */
    public Optional<Integer> mtu() {
        return genericOption(MTU).flatMap(s -> {
            try {
                int mtu = Integer.parseInt(s.trim());
                return mtu > 0 ? Optional.of(mtu) : Optional.empty();
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    /** {@code --ipv6}; Docker always sends it for networks, absent reads as false. */
    public boolean enableIpv6() {
        return flag(ENABLE_IPV6, false);
    }

    /** {@code --ipv4=false} turns it off (Docker ≥ v28); absent reads as true. */
    public boolean enableIpv4() {
        return flag(ENABLE_IPV4, true);
    }

    /** {@code --internal}: Docker sends {@code true} only when set. */
    public boolean internal() {
        return flag(INTERNAL, false);
    }

    /** Published ports ({@code com.docker.network.portmap}); malformed entries are skipped. */
    public List<PortBinding> portBindings() {
        List<PortBinding> out = new ArrayList<>();
        for (Map<?, ?> m : objects(raw.get(PORT_MAP))) {
            out.add(new PortBinding(
                    integer(field(m, "Proto")),
                    Wire.str(scalar(field(m, "IP"))),
                    integer(field(m, "Port")),
                    Wire.str(scalar(field(m, "HostIP"))),
                    integer(field(m, "HostPort")),
                    integer(field(m, "HostPortEnd"))));
        }
        return List.copyOf(out);
    }

    /** Exposed ports ({@code com.docker.network.endpoint.exposedports}); malformed entries skipped. */
    public List<ExposedPort> exposedPorts() {
        List<ExposedPort> out = new ArrayList<>();
        for (Map<?, ?> m : objects(raw.get(EXPOSED_PORTS))) {
            out.add(new ExposedPort(integer(field(m, "Proto")), integer(field(m, "Port"))));
        }
        return List.copyOf(out);
    }

    /**
     * The user's MAC from {@code com.docker.network.endpoint.macaddress} as {@code aa:bb:cc:dd:ee:ff}.
     * Docker encodes it as base64 (Go {@code []byte}); a value already in colon form is accepted too.
     */
    public Optional<String> macAddress() {
        String v = scalar(raw.get(MAC_ADDRESS));
        if (v == null || v.isEmpty()) {
            return Optional.empty();
        }
        if (v.matches("(?i)([0-9a-f]{2}:){5}[0-9a-f]{2}")) {
            return Optional.of(v.toLowerCase(Locale.ROOT));
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(v);
            if (bytes.length != 6) {
                return Optional.empty();
            }
            return Optional.of(HexFormat.ofDelimiter(":").formatHex(bytes));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** {@code com.docker.network.endpoint.dnsservers}, empty when absent. */
    public List<String> dnsServers() {
        if (!(raw.get(DNS_SERVERS) instanceof List<?> l)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            String s = scalar(o);
            if (s != null) {
                out.add(s);
            }
        }
        return List.copyOf(out);
    }

    private static String scalar(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        return null;
    }

    private static List<Map<?, ?>> objects(Object v) {
        if (!(v instanceof List<?> l)) {
            return List.of();
        }
        List<Map<?, ?>> out = new ArrayList<>();
        for (Object o : l) {
            if (o instanceof Map<?, ?> m) {
                out.add(m);
            }
        }
        return out;
    }

    /** Case-insensitive field lookup, as Go's decoder does. */
    private static Object field(Map<?, ?> m, String name) {
        Object exact = m.get(name);
        if (exact != null) {
            return exact;
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getKey() != null && e.getKey().toString().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    private static int integer(Object v) {
        if (v instanceof Number n) {
            return n.intValue();
        }
        if (v instanceof String s) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }
}
