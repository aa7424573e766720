package io.jweave.router.dns;

import io.jweave.discovery.Codec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A row of the mesh's {@code dns} table, published by the host that owns it: the names one address
 * answers to on one network.
 *
 * <p>Keys: {@code c/<container id>/<network>} for a container's attachment (names learned from
 * Docker), {@code m/<ip>/<fqdn>} for a manual record ({@code jweave dns-add}), and
 * {@link #COMPLETE_KEY} for the owner's marker "I publish N rows" (see {@link #complete}).
 *
 * @param network   cluster name of the network the names are visible on; {@code ""} = every network (global)
 * @param ip        IPv4 address
 * @param names     fully qualified names, lower-case, without the trailing dot
 * @param container Docker container id, or {@code ""} for a manual record
 */
public record NameRecord(String network, String ip, List<String> names, String container) {

    /** Key of the owner's completeness marker; its {@link #ip} field holds the number of other rows. */
    public static final String COMPLETE_KEY = "complete";

    public NameRecord {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(ip, "ip");
        Objects.requireNonNull(container, "container");
        names = List.copyOf(names);
    }

    /** The marker row: this owner publishes {@code rows} name rows besides it. */
    public static NameRecord complete(int rows) {
        return new NameRecord("", Integer.toString(rows), List.of(), "");
    }

    public boolean manual() {
        return container.isEmpty();
    }

    public static String containerKey(String containerId, String network) {
        return "c/" + containerId + "/" + network;
    }

    public static String manualKey(String ip, String fqdn) {
        return "m/" + ip + "/" + fqdn;
    }

    /** {@code key=value} lines; names separated by spaces (a DNS name has none). */
    public static final Codec<NameRecord> CODEC = new Codec<>() {
        @Override
        public String encode(NameRecord v) {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("network", v.network);
            f.put("ip", v.ip);
            f.put("names", String.join(" ", v.names));
            f.put("container", v.container);
            StringBuilder sb = new StringBuilder();
            f.forEach((k, val) -> sb.append(k).append('=').append(val.replace("\n", " ")).append('\n'));
            return sb.toString();
        }

        @Override
        public NameRecord decode(String text) {
            Map<String, String> f = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    f.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            if (!f.containsKey("ip")) {
                throw new IllegalArgumentException("dns record lacks field \"ip\"");
            }
            List<String> names = new ArrayList<>();
            for (String n : f.getOrDefault("names", "").split(" ")) {
                if (!n.isEmpty()) {
                    names.add(n);
                }
            }
            return new NameRecord(f.getOrDefault("network", ""), f.get("ip"), names, f.getOrDefault("container", ""));
        }
    };
}
