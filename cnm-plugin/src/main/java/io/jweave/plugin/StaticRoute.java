package io.jweave.plugin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A route Docker installs in the container after Join. {@link Type#NEXTHOP} needs a next hop;
 * {@link Type#CONNECTED} is bound to the interface and has none (its {@code NextHop} is omitted).
 * Only a NEXTHOP {@code 0.0.0.0/0} counts as a default gateway for Docker's docker_gwbridge decision.
 */
public record StaticRoute(
        @JsonProperty("Destination") String destination,
        @JsonProperty("RouteType") Type routeType,
        @JsonProperty("NextHop") @JsonInclude(JsonInclude.Include.NON_EMPTY) String nextHop) {

    /** Docker's route types, encoded as integers on the wire. */
    public enum Type {
        NEXTHOP(0), CONNECTED(1);

        private final int wire;

        Type(int wire) {
            this.wire = wire;
        }

        @JsonValue
        public int wire() {
            return wire;
        }
    }

    public StaticRoute {
        destination = Wire.str(destination);
        nextHop = Wire.str(nextHop);
        if (routeType == null) {
            throw new IllegalArgumentException("route type required");
        }
    }

    public static StaticRoute nextHop(String destination, String nextHop) {
        return new StaticRoute(destination, Type.NEXTHOP, nextHop);
    }

    public static StaticRoute connected(String destination) {
        return new StaticRoute(destination, Type.CONNECTED, "");
    }
}
