package io.jweave.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/** Topologies and reports shaped like the router's {@code /api/topology} and {@code /report}. */
final class Fixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    /**
     * Three hosts seen from host1: host2 over VXLAN, host3 over the encrypted tunnel; networks blue and
     * red; four containers (one without a name).
     */
    static ObjectNode threeHosts() {
        ObjectNode t = JSON.createObjectNode();
        t.put("version", 17);
        t.put("generatedAt", "2026-12-02T20:00:00Z");
        t.put("self", "host1");
        ArrayNode hosts = t.putArray("hosts");
        host(hosts, "host1", "198.51.100.11", "connected", true, false);
        host(hosts, "host2", "198.51.100.12", "connected", false, false);
        host(hosts, "host3", "198.51.100.13", "connected", false, true);
        ArrayNode links = t.putArray("links");
        link(links, "host1", "host2", "connected", "vxlan", false, null, 0.4, 0.0);
        link(links, "host1", "host3", "connected", "tunnel", true, "vxlan blocked (udp/4789 unanswered)", 1.7, 0.01);
        ArrayNode nets = t.putArray("networks");
        ObjectNode blue = network(nets, "blue", "5f1c2e", "100.64.0.0/24", "100.64.0.1", 4242);
        blue.withObjectProperty("endpoints").put("host2", 1).put("host3", 1);
        ObjectNode red = network(nets, "red", "9a0b44", "100.64.1.0/24", "100.64.1.1", 4243);
        red.withObjectProperty("endpoints").put("host1", 1).put("host3", 1);
        ArrayNode cs = t.putArray("containers");
        container(cs, "web", "host2", "blue", "100.64.0.2", "02:42:64:40:00:02", "ep-web");
        container(cs, "db", "host3", "blue", "100.64.0.3", "02:42:64:40:00:03", "ep-db");
        container(cs, "cache", "host1", "red", "100.64.1.2", "02:42:64:40:01:02", "ep-cache");
        container(cs, null, "host3", "red", "100.64.1.3", "02:42:64:40:01:03", "ep-anon");
        ObjectNode ipam = t.putObject("ipam");
        ipam.put("autoRange", "100.64.0.0/16").put("autoPrefix", 24);
        ArrayNode pools = ipam.putArray("pools");
        pool(pools, "pool-blue", "100.64.0.0/24", 3, 250, "100.64.0.2/24", "100.64.0.3/24");
        pool(pools, "pool-red", "100.64.1.0/24", 3, 250, "100.64.1.2/24", "100.64.1.3/24");
        t.putObject("dns").put("domain", "jweave.local").put("records", 12);
        return t;
    }

    /** {@code hosts} hosts ({@code host1} is this one) and {@code containers} containers on 10 networks. */
    static ObjectNode large(int hostCount, int containerCount) {
        ObjectNode t = JSON.createObjectNode();
        t.put("version", 1);
        t.put("generatedAt", "2026-12-02T20:00:00Z");
        t.put("self", "host1");
        ArrayNode hosts = t.putArray("hosts");
        ArrayNode links = t.putArray("links");
        String[] paths = {"vxlan", "vxlan", "vxlan", "tunnel", "tcp", "down"};
        for (int i = 1; i <= hostCount; i++) {
            String name = i == 1 ? "host1" : String.format(Locale.ROOT, "node-%02d.rack%d.example", i, i % 4);
            String st = i % 17 == 0 ? "departed" : i % 13 == 0 ? "unreachable" : "connected";
            host(hosts, name, "198.51.100." + (10 + i), st, i == 1, i % 3 == 0);
            if (i > 1) {
                String dp = st.equals("connected") ? paths[i % paths.length] : null;
                link(links, "host1", name, st, dp, i % 3 == 0, null, 0.3 + i / 10.0, 0.0);
            }
        }
        int networks = 10;
        ArrayNode nets = t.putArray("networks");
        ObjectNode[] net = new ObjectNode[networks];
        for (int n = 0; n < networks; n++) {
            net[n] = network(nets, "net" + n, "id" + n, "100.64." + n * 4 + ".0/22", "100.64." + n * 4 + ".1", 5000 + n);
        }
        ArrayNode cs = t.putArray("containers");
        for (int c = 0; c < containerCount; c++) {
            int n = c % networks;
            int k = c / networks + 2;
            String h = hosts.get(c % hostCount).get("name").asText();
            String ip = "100.64." + (n * 4 + k / 256) + "." + (k % 256);
            container(cs, "app" + c, h, "net" + n, ip, String.format(Locale.ROOT, "02:42:%02x:%02x:%02x:%02x", n, k / 256, k % 256, c % 256), "ep" + c);
            ObjectNode eps = net[n].withObjectProperty("endpoints");
            eps.put(h, eps.path(h).asInt(0) + 1);
        }
        ObjectNode ipam = t.putObject("ipam");
        ipam.put("autoRange", "100.64.0.0/16").put("autoPrefix", 22);
        ArrayNode pools = ipam.putArray("pools");
        for (int n = 0; n < networks; n++) {
            int used = containerCount / networks + 1;
            pool(pools, "pool" + n, "100.64." + n * 4 + ".0/22", used, 1022 - used);
        }
        t.putObject("dns").put("domain", "jweave.local").put("records", containerCount * 2);
        return t;
    }

    /** A {@code /report} in the router's shape (status, peers, endpoints, mesh, config) for {@link #threeHosts()}. */
    static ObjectNode report(ObjectNode topo) {
        ObjectNode r = JSON.createObjectNode();
        ObjectNode status = r.putObject("status");
        status.put("name", topo.get("self").asText()).put("version", "0.1.0-SNAPSHOT").put("advertiseAddress", "198.51.100.11");
        ArrayNode sn = status.putArray("networks");
        for (var n : topo.get("networks")) {
            sn.addObject().put("name", n.get("name").asText()).put("networkId", n.get("id").asText())
                    .put("vni", n.get("vni").asInt()).put("subnet", n.get("subnet").asText())
                    .put("gateway", n.get("gateway").asText()).put("mtu", n.get("mtu").asInt());
        }
        ObjectNode peers = r.putObject("peers");
        peers.putArray("joinTargets").add("198.51.100.12");
        ArrayNode pl = peers.putArray("peers");
        for (var h : topo.get("hosts")) {
            ObjectNode p = pl.addObject().put("name", h.get("name").asText()).put("address", h.get("address").asText())
                    .put("state", h.get("state").asText()).put("self", h.get("self").asBoolean());
            for (var l : topo.get("links")) {
                if (l.get("to").asText().equals(h.get("name").asText())) {
                    p.put("datapath", l.get("datapath").asText()).put("heartbeatRttMs", l.get("rttMs").asDouble());
                }
            }
        }
        ObjectNode eps = r.putObject("endpoints");
        ArrayNode local = eps.putArray("local");
        ArrayNode remote = eps.putArray("remote");
        for (var c : topo.get("containers")) {
            String prefix = c.get("network").asText().equals("blue") ? "/24" : "/24";
            boolean mine = c.get("host").asText().equals(topo.get("self").asText());
            ObjectNode e = (mine ? local : remote).addObject();
            e.put("endpointId", c.get("endpointId").asText()).put("network", c.get("network").asText())
                    .put("address", c.get("ip").asText() + prefix).put("mac", c.get("mac").asText());
            if (mine) {
                e.put("iface", "vethjw0");
            } else {
                e.put("host", c.get("host").asText()).put("vtep", "198.51.100.1" + c.get("host").asText().charAt(4));
            }
        }
        ObjectNode mesh = r.putObject("mesh");
        mesh.put("clusterName", "jweave").put("hasQuorum", true);
        ArrayNode known = mesh.putArray("knownHosts");
        for (var h : topo.get("hosts")) {
            known.add(h.get("name").asText());
        }
        r.putObject("config").put("name", "host1").put("ipallocRange", "100.64.0.0/16").put("vxlanPort", 4789);
        return r;
    }

    static ObjectNode container(ArrayNode cs, String name, String host, String net, String ip, String mac, String ep) {
        ObjectNode c = cs.addObject();
        if (name == null) {
            c.putNull("name");
        } else {
            c.put("name", name);
        }
        c.put("host", host).put("network", net).put("ip", ip).put("mac", mac).put("endpointId", ep);
        ArrayNode dns = c.putArray("dnsNames");
        if (name != null) {
            dns.add(name).add(name + ".jweave.local");
        }
        return c;
    }

    private static void host(ArrayNode hosts, String name, String addr, String state, boolean self, boolean enc) {
        ObjectNode h = hosts.addObject().put("name", name).put("address", addr).put("state", state).put("self", self);
        if (self) {
            h.putNull("since");
        } else {
            h.put("since", "2026-12-02T19:00:00Z");
        }
        h.put("encrypted", enc);
    }

    private static void link(ArrayNode links, String from, String to, String state, String dp, boolean enc,
                             String reason, double rtt, double loss) {
        ObjectNode l = links.addObject().put("from", from).put("to", to).put("state", state);
        if (dp == null) {
            l.putNull("datapath");
        } else {
            l.put("datapath", dp);
        }
        l.put("encrypted", enc);
        if (reason == null) {
            l.putNull("reason");
        } else {
            l.put("reason", reason);
        }
        l.put("since", "2026-12-02T19:00:05Z").put("rttMs", rtt).put("loss", loss);
    }

    private static ObjectNode network(ArrayNode nets, String name, String id, String subnet, String gw, int vni) {
        ObjectNode n = nets.addObject().put("name", name).put("id", id).put("subnet", subnet).put("gateway", gw)
                .put("vni", vni).put("mtu", 1450);
        n.putObject("endpoints");
        return n;
    }

    private static void pool(ArrayNode pools, String id, String cidr, int used, int free, String... allocated) {
        ObjectNode p = pools.addObject().put("poolId", id).put("pool", cidr).put("range", cidr).put("automatic", true)
                .put("used", used).put("free", free);
        ArrayNode a = p.putArray("allocated");
        for (String s : allocated) {
            a.add(s);
        }
    }
}
