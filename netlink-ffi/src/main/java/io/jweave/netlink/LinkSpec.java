package io.jweave.netlink;

/**
 * What to create: name, type and optional common attributes ({@code mtu} 0 = kernel default,
 * {@code mac} null = random, {@code master} null = none).
 */
public record LinkSpec(String name, LinkType type, int mtu, MacAddress mac, String master) {

    public LinkSpec(String name, LinkType type) {
        this(name, type, 0, null, null);
    }

    public LinkSpec withMtu(int m) {
        return new LinkSpec(name, type, m, mac, master);
    }

    public LinkSpec withMac(MacAddress m) {
        return new LinkSpec(name, type, mtu, m, master);
    }

    public LinkSpec withMaster(String m) {
        return new LinkSpec(name, type, mtu, mac, m);
    }
}
