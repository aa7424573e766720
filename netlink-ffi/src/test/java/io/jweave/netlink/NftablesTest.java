package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jweave.netlink.nft.NftChain;
import io.jweave.netlink.nft.NftFamily;
import io.jweave.netlink.nft.NftHook;
import io.jweave.netlink.nft.NftMatch;
import io.jweave.netlink.nft.NftRule;
import io.jweave.netlink.nft.NftRuleState;
import io.jweave.netlink.nft.NftTable;
import io.jweave.netlink.nft.NftVerdict;
import io.jweave.netlink.sys.Errno;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nftables through nfnetlink: the ruleset the encrypted datapath needs (drop plaintext VXLAN and
 * mesh traffic unless it comes in on jwtun0 or lo, counting drops), observed with {@code nft -j}
 * and on the datapath between two namespaces joined by a veth "underlay" (198.51.100.0/24) and a
 * second veth whose end is named jwtun0 (203.0.113.0/24).
 */
class NftablesTest extends KernelTestBase {
    private static final String TABLE = "jweave";

    @BeforeAll
    static void requireNft() {
        if (!Kernel.onPath("nft")) {
            Kernel.Result r = Kernel.run(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", "nftables"));
            if (!Kernel.onPath("nft")) {
                throw new AssertionError("the nftables tests observe through `nft`, which is not installed and"
                        + " apt-get install nftables failed: " + r.err());
            }
        }
    }

    private static NftRule dropVxlan() {
        return NftRule.of("drop-plaintext-vxlan", NftVerdict.DROP, NftMatch.iifnameNot("jwtun0"),
                NftMatch.iifnameNot("lo"), NftMatch.udp(), NftMatch.dport(4789));
    }

    private static NftRule dropMeshIn() {
        return NftRule.of("drop-plaintext-mesh-in", NftVerdict.DROP, NftMatch.iifnameNot("jwtun0"),
                NftMatch.iifnameNot("lo"), NftMatch.tcp(), NftMatch.dport(6783));
    }

    private static NftRule dropMeshOut() {
        return NftRule.of("drop-plaintext-mesh-out", NftVerdict.DROP, NftMatch.iifnameNot("jwtun0"),
                NftMatch.iifnameNot("lo"), NftMatch.tcp(), NftMatch.sport(6783));
    }

    private static NftTable ruleset() {
        return new NftTable(NftFamily.INET, TABLE, List.of(NftChain.filter("input", NftHook.INPUT, -10,
                List.of(dropVxlan(), dropMeshIn(), dropMeshOut(),
                        NftRule.of("tunnel", NftVerdict.ACCEPT, NftMatch.iifname("jwtun0")),
                        new NftRule("loopback", List.of(NftMatch.iifname("lo")), false, NftVerdict.ACCEPT)))));
    }

    private JsonNode nftJson(NetNs ns) {
        return Kernel.parse(k.execOk(ns, "nft", "-j", "list", "ruleset")).path("nftables");
    }

    private List<JsonNode> nftObjects(NetNs ns, String kind) {
        List<JsonNode> out = new ArrayList<>();
        nftJson(ns).forEach(o -> {
            if (o.has(kind)) {
                out.add(o.get(kind));
            }
        });
        return out;
    }

    @Test
    void createObserveReadBackReplaceDelete() {
        NetNs ns = k.newNs("nft");
        Handle h = k.handle(ns);
        h.nftables().replaceTable(ruleset());

        List<JsonNode> tables = nftObjects(ns, "table");
        assertEquals(1, tables.size(), tables.toString());
        assertEquals("inet", tables.get(0).path("family").asText());
        assertEquals(TABLE, tables.get(0).path("name").asText());
        JsonNode chain = nftObjects(ns, "chain").get(0);
        assertEquals("input", chain.path("name").asText());
        assertEquals("filter", chain.path("type").asText());
        assertEquals("input", chain.path("hook").asText());
        assertEquals(-10, chain.path("prio").asInt());
        assertEquals("accept", chain.path("policy").asText());
        List<JsonNode> rules = nftObjects(ns, "rule");
        assertEquals(List.of("drop-plaintext-vxlan", "drop-plaintext-mesh-in", "drop-plaintext-mesh-out", "tunnel",
                "loopback"),
                rules.stream().map(r -> r.path("comment").asText()).toList());

        // nft itself reads our expressions as the words they were meant to be (it writes
        // "meta l4proto udp th dport 4789" in its shorter form "udp dport 4789")
        String text = k.execOk(ns, "nft", "list", "chain", "inet", TABLE, "input");
        assertTrue(text.contains("iifname != \"jwtun0\" iifname != \"lo\" udp dport 4789 counter packets 0 bytes 0 drop comment \"drop-plaintext-vxlan\""), text);
        assertTrue(text.contains("iifname != \"jwtun0\" iifname != \"lo\" tcp dport 6783 counter packets 0 bytes 0 drop comment \"drop-plaintext-mesh-in\""), text);
        assertTrue(text.contains("iifname != \"jwtun0\" iifname != \"lo\" tcp sport 6783 counter packets 0 bytes 0 drop comment \"drop-plaintext-mesh-out\""), text);
        assertTrue(text.contains("iifname \"jwtun0\" counter packets 0 bytes 0 accept comment \"tunnel\""), text);
        assertTrue(text.contains("iifname \"lo\" accept comment \"loopback\""), text);
        assertTrue(text.contains("type filter hook input priority filter - 10; policy accept;"), text);

        // read back: the same records, counters at zero
        List<NftRuleState> back = h.nftables().rules(NftFamily.INET, TABLE, "input");
        assertEquals(ruleset().chains().get(0).rules(), back.stream().map(NftRuleState::rule).toList());
        assertTrue(back.stream().allMatch(s -> s.packets() == 0 && s.bytes() == 0 && s.handle() > 0 && s.chain().equals("input")));

        // replacing twice leaves one table with the same rules
        h.nftables().replaceTable(ruleset());
        h.nftables().replaceTable(ruleset());
        assertEquals(1, nftObjects(ns, "table").size());
        assertEquals(5, nftObjects(ns, "rule").size());
        assertTrue(h.nftables().tableExists(NftFamily.INET, TABLE));
        assertFalse(h.nftables().tableExists(NftFamily.IPV4, TABLE));

        h.nftables().deleteTable(NftFamily.INET, TABLE);
        assertEquals(0, nftObjects(ns, "table").size());
        assertFalse(h.nftables().tableExists(NftFamily.INET, TABLE));
        h.nftables().deleteTable(NftFamily.INET, TABLE); // absent: no error
        var e = assertThrows(NetlinkException.class, () -> h.nftables().rules(NftFamily.INET, TABLE, "input"));
        assertTrue(e.isNotFound(), e.getMessage());
    }

    @Test
    void aRefusedPartLeavesNothingAndNamesThePart() {
        NetNs ns = k.newNs("nftbad");
        Handle h = k.handle(ns);
        // nat chains cannot hook forward: the kernel refuses the chain, after the table was "created"
        NftTable bad = new NftTable(NftFamily.INET, TABLE, List.of(
                NftChain.filter("input", NftHook.INPUT, 0, List.of(dropVxlan())),
                new NftChain("fwd", NftChain.Type.NAT, NftHook.FORWARD, 0, NftVerdict.ACCEPT, List.of())));
        var e = assertThrows(NetlinkException.class, () -> h.nftables().replaceTable(bad));
        assertEquals(Errno.EOPNOTSUPP, e.errno(), e.getMessage());
        assertTrue(e.getMessage().startsWith("replace table inet jweave: create chain fwd (type nat hook forward"
                + " priority 0 policy accept): Operation not supported (EOPNOTSUPP)"), e.getMessage());
        assertEquals(0, nftObjects(ns, "table").size(), "a refused transaction left something behind");

        // over an existing good table: the good table stays as it was, counters included
        h.nftables().replaceTable(ruleset());
        long handle = h.nftables().rules(NftFamily.INET, TABLE, "input").get(0).handle();
        assertThrows(NetlinkException.class, () -> h.nftables().replaceTable(bad));
        List<NftRuleState> still = h.nftables().rules(NftFamily.INET, TABLE, "input");
        assertEquals(5, still.size());
        assertEquals(handle, still.get(0).handle());
        assertEquals(1, nftObjects(ns, "chain").size());
    }

    // --- datapath -------------------------------------------------------------------------------

    private DatagramChannel udpListen(NetNs ns, int port) {
        return k.track(ns.call(() -> {
            DatagramChannel ch = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
            ch.bind(new InetSocketAddress(port));
            ch.socket().setSoTimeout(1000);
            return ch;
        }));
    }

    private static int receiveAll(DatagramChannel ch) throws Exception {
        int n = 0;
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[2048], 2048);
        while (true) {
            try {
                ch.socket().receive(p);
                n++;
            } catch (SocketTimeoutException e) {
                return n;
            }
        }
    }

    private static void sendUdp(NetNs from, String to, int port, int count) {
        from.run(() -> {
            try (DatagramChannel ch = DatagramChannel.open(java.net.StandardProtocolFamily.INET)) {
                for (int i = 0; i < count; i++) {
                    ch.send(ByteBuffer.wrap(new byte[100]), new InetSocketAddress(InetAddress.getByName(to), port));
                }
            } catch (java.io.IOException e) {
                throw new AssertionError("send to " + to + ":" + port, e);
            }
        });
    }

    /** Whether a TCP connection from {@code from} to {@code to}:6783 completes within 1.5 s. */
    private static boolean tcpConnects(NetNs from, String to) {
        return from.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(to), 6783), 1500);
                return true;
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    private static long packets(Handle h, String comment) {
        return h.nftables().rules(NftFamily.INET, TABLE, "input").stream()
                .filter(s -> comment.equals(s.comment())).findFirst().orElseThrow().packets();
    }

    @Test
    void plaintextFromTheUnderlayIsDroppedAndCountedTheTunnelPasses() throws Exception {
        NetNs host = k.newNs("nfh");
        NetNs peer = k.newNs("nfp");
        Handle h = k.handle(host);
        Handle hp = k.handle(peer);
        h.links().add(new LinkSpec("jul0", new LinkType.Veth("jul0", peer)));
        h.links().add(new LinkSpec("jwtun0", new LinkType.Veth("jwtp0", peer)));
        for (String l : List.of("lo", "jul0", "jwtun0")) {
            h.links().setUp(l);
        }
        for (String l : List.of("lo", "jul0", "jwtp0")) {
            hp.links().setUp(l);
        }
        h.addresses().add("jul0", IpPrefix.parse("198.51.100.1/24"));
        hp.addresses().add("jul0", IpPrefix.parse("198.51.100.2/24"));
        h.addresses().add("jwtun0", IpPrefix.parse("203.0.113.1/24"));
        hp.addresses().add("jwtp0", IpPrefix.parse("203.0.113.2/24"));
        DatagramChannel vxlan = udpListen(host, 4789);
        DatagramChannel other = udpListen(host, 4790);
        ServerSocketChannel mesh = k.track(host.call(() -> ServerSocketChannel.open().bind(new InetSocketAddress(6783))));
        assertTrue(mesh.isOpen());

        sendUdp(peer, "198.51.100.1", 4789, 2);
        assertEquals(2, receiveAll(vxlan), "underlay does not work without the ruleset");

        h.nftables().replaceTable(ruleset());
        sendUdp(peer, "198.51.100.1", 4789, 5);
        assertEquals(0, receiveAll(vxlan), "plaintext VXLAN from the underlay was delivered");
        assertEquals(5, packets(h, "drop-plaintext-vxlan"));
        assertEquals(5 * (20 + 8 + 100), h.nftables().rules(NftFamily.INET, TABLE, "input").get(0).bytes());

        sendUdp(peer, "198.51.100.1", 4790, 3);
        assertEquals(3, receiveAll(other), "another port is not dropped");
        sendUdp(peer, "203.0.113.1", 4789, 4);
        assertEquals(4, receiveAll(vxlan), "VXLAN arriving on jwtun0 is not dropped");
        assertEquals(5, packets(h, "drop-plaintext-vxlan"));
        assertEquals(4, packets(h, "tunnel"));

        assertFalse(tcpConnects(peer, "198.51.100.1"), "a plaintext mesh connection from the underlay succeeded");
        assertTrue(packets(h, "drop-plaintext-mesh-in") >= 1);
        assertTrue(tcpConnects(peer, "203.0.113.1"), "a mesh connection through jwtun0 failed");

        // recreating resets the counters and keeps dropping
        h.nftables().replaceTable(ruleset());
        assertEquals(0, packets(h, "drop-plaintext-vxlan"));
        sendUdp(peer, "198.51.100.1", 4789, 1);
        assertEquals(0, receiveAll(vxlan));
        assertEquals(1, packets(h, "drop-plaintext-vxlan"));

        h.nftables().deleteTable(NftFamily.INET, TABLE);
        sendUdp(peer, "198.51.100.1", 4789, 2);
        assertEquals(2, receiveAll(vxlan), "deleting the table did not restore delivery");
        assertTrue(tcpConnects(peer, "198.51.100.1"));
    }
}
