package io.jweave.discovery;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A row of the {@code networks} table (key = the network's cluster name). Published by the host
 * that created the network; every host that has the network present re-publishes it too, so it
 * survives its creator leaving (readers treat rows of several owners for one key as the same network).
 *
 * @param vni     VXLAN network identifier
 * @param subnet  IPv4 subnet in CIDR notation
 * @param gateway gateway address, or {@code ""}
 * @param options driver options
 * @param creator host that created it
 */
public record NetworkRecord(int vni, String subnet, String gateway, Map<String, String> options, String creator) {

    public NetworkRecord {
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(creator, "creator");
        options = Map.copyOf(options);
    }

    public static final Codec<NetworkRecord> CODEC = new Codec<>() {
        @Override
        public String encode(NetworkRecord v) {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("vni", Integer.toString(v.vni));
            f.put("subnet", v.subnet);
            f.put("gateway", v.gateway);
            f.put("options", Fields.map(new java.util.TreeMap<>(v.options)));
            f.put("creator", v.creator);
            return Fields.write(f);
        }

        @Override
        public NetworkRecord decode(String text) {
            Map<String, String> f = Fields.read(text);
            return new NetworkRecord(Integer.parseInt(Fields.required(f, "vni")), Fields.required(f, "subnet"),
                    f.getOrDefault("gateway", ""), Fields.map(f.get("options")), Fields.required(f, "creator"));
        }
    };
}
