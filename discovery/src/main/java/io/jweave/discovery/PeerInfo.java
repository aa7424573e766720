package io.jweave.discovery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A row of the {@code peers} table, published by each host about itself (key = its name).
 *
 * @param underlay     underlay IP of the host
 * @param vtep         address other hosts send VXLAN packets to (usually the underlay IP)
 * @param version      jweave version of the router
 * @param capabilities feature flags (e.g. {@code dns}, {@code sleeve})
 */
public record PeerInfo(String underlay, String vtep, String version, List<String> capabilities) {

    public PeerInfo {
        Objects.requireNonNull(underlay, "underlay");
        Objects.requireNonNull(vtep, "vtep");
        Objects.requireNonNull(version, "version");
        capabilities = List.copyOf(capabilities);
    }

    public static final Codec<PeerInfo> CODEC = new Codec<>() {
        @Override
        public String encode(PeerInfo v) {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("underlay", v.underlay);
            f.put("vtep", v.vtep);
            f.put("version", v.version);
            f.put("capabilities", Fields.list(v.capabilities));
            return Fields.write(f);
        }

        @Override
        public PeerInfo decode(String text) {
            Map<String, String> f = Fields.read(text);
            return new PeerInfo(Fields.required(f, "underlay"), Fields.required(f, "vtep"),
                    Fields.required(f, "version"), Fields.list(f.get("capabilities")));
        }
    };
}
