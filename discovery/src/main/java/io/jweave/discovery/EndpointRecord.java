package io.jweave.discovery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A row of the {@code endpoints} table (key = Docker's endpoint id), published by the host the
 * container runs on.
 *
 * @param network       cluster name of the network
 * @param ip            IPv4 address (no prefix)
 * @param mac           MAC address
 * @param host          owning host's name
 * @param vtep          owning host's VTEP address
 * @param containerName container name, or {@code ""}
 * @param aliases       DNS aliases
 */
public record EndpointRecord(String network, String ip, String mac, String host, String vtep,
                             String containerName, List<String> aliases) {

    public EndpointRecord {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(ip, "ip");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(vtep, "vtep");
        Objects.requireNonNull(containerName, "containerName");
        aliases = List.copyOf(aliases);
    }

    public static final Codec<EndpointRecord> CODEC = new Codec<>() {
        @Override
        public String encode(EndpointRecord v) {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("network", v.network);
            f.put("ip", v.ip);
            f.put("mac", v.mac);
            f.put("host", v.host);
            f.put("vtep", v.vtep);
            f.put("container", v.containerName);
            f.put("aliases", Fields.list(v.aliases));
            return Fields.write(f);
        }

        @Override
        public EndpointRecord decode(String text) {
            Map<String, String> f = Fields.read(text);
            return new EndpointRecord(Fields.required(f, "network"), Fields.required(f, "ip"),
                    Fields.required(f, "mac"), Fields.required(f, "host"), Fields.required(f, "vtep"),
                    f.getOrDefault("container", ""), Fields.list(f.get("aliases")));
        }
    };
}
