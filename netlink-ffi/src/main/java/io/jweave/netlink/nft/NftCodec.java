package io.jweave.netlink.nft;

import static io.jweave.netlink.nl.Nft.*;

import io.jweave.netlink.nl.Bytes;
import io.jweave.netlink.nl.NetlinkProtocolException;
import io.jweave.netlink.nl.NlAttrs;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import io.jweave.netlink.nl.Rtnl;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** nf_tables messages for the model of this package: encoding, and decoding of rules read back. */
final class NftCodec {
    private NftCodec() {
    }

    /** A message of the nf_tables subsystem: header, then struct nfgenmsg {family, version, be16 res_id}. */
    static NlRequest message(int msg, int flags, NftFamily family) {
        return new NlRequest(type(msg), flags).u8(family.code()).u8(NFNETLINK_V0).u8(0).u8(0);
    }

    /** NFNL_MSG_BATCH_BEGIN or _END for the nf_tables subsystem (res_id is the subsystem, big-endian). */
    static NlRequest batch(int type) {
        return new NlRequest(type, 0).u8(0).u8(NFNETLINK_V0).u8(0).u8(NFNL_SUBSYS_NFTABLES);
    }

    static NlRequest table(int msg, int flags, NftFamily family, String name) {
        NlRequest r = message(msg, flags, family).attrString(NFTA_TABLE_NAME, name);
        if (msg == NFT_MSG_NEWTABLE) {
            r.attrBe32(NFTA_TABLE_FLAGS, 0);
        }
        return r;
    }

    static NlRequest chain(NftTable t, NftChain c) {
        return message(NFT_MSG_NEWCHAIN, Rtnl.NLM_F_CREATE, t.family())
                .attrString(NFTA_CHAIN_TABLE, t.name())
                .attrString(NFTA_CHAIN_NAME, c.name())
                .beginNest(NFTA_CHAIN_HOOK)
                .attrBe32(NFTA_HOOK_HOOKNUM, c.hook().code())
                .attrBe32(NFTA_HOOK_PRIORITY, c.priority())
                .endNest()
                .attrBe32(NFTA_CHAIN_POLICY, c.policy().code())
                .attrString(NFTA_CHAIN_TYPE, c.type().keyword());
    }

    static NlRequest rule(NftFamily family, String table, String chain, NftRule rule) {
        NlRequest r = message(NFT_MSG_NEWRULE, Rtnl.NLM_F_CREATE | Rtnl.NLM_F_APPEND, family)
                .attrString(NFTA_RULE_TABLE, table)
                .attrString(NFTA_RULE_CHAIN, chain)
                .beginNest(NFTA_RULE_EXPRESSIONS);
        for (NftMatch m : rule.matches()) {
            if (m instanceof NftMatch.IifName n) {
                meta(r, NFT_META_IIFNAME);
                cmp(r, n.equal() ? NFT_CMP_EQ : NFT_CMP_NEQ, ifname(n.name()));
            } else if (m instanceof NftMatch.L4Proto p) {
                meta(r, NFT_META_L4PROTO);
                cmp(r, NFT_CMP_EQ, new byte[] {(byte) p.proto()});
            } else if (m instanceof NftMatch.Port p) {
                beginExpr(r, "payload")
                        .attrBe32(NFTA_PAYLOAD_DREG, NFT_REG_1)
                        .attrBe32(NFTA_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER)
                        .attrBe32(NFTA_PAYLOAD_OFFSET, p.destination() ? 2 : 0)
                        .attrBe32(NFTA_PAYLOAD_LEN, 2);
                endExpr(r);
                cmp(r, NFT_CMP_EQ, new byte[] {(byte) (p.port() >>> 8), (byte) p.port()});
            } else {
                throw new IllegalArgumentException("cannot write " + m + ": it only describes what was read back");
            }
        }
        if (rule.counter()) {
            beginExpr(r, "counter").attr(NFTA_COUNTER_BYTES, new byte[8]).attr(NFTA_COUNTER_PACKETS, new byte[8]);
            endExpr(r);
        }
        if (rule.verdict() != null) {
            beginExpr(r, "immediate")
                    .attrBe32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT)
                    .beginNest(NFTA_IMMEDIATE_DATA)
                    .beginNest(NFTA_DATA_VERDICT)
                    .attrBe32(NFTA_VERDICT_CODE, rule.verdict().code())
                    .endNest()
                    .endNest();
            endExpr(r);
        }
        r.endNest();
        if (rule.comment() != null) {
            byte[] c = rule.comment().getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream u = new ByteArrayOutputStream();
            u.write(NFTNL_UDATA_RULE_COMMENT);
            u.write(c.length + 1);
            u.writeBytes(c);
            u.write(0);
            r.attr(NFTA_RULE_USERDATA, u.toByteArray());
        }
        return r;
    }

    private static NlRequest beginExpr(NlRequest r, String name) {
        return r.beginNest(NFTA_LIST_ELEM).attrString(NFTA_EXPR_NAME, name).beginNest(NFTA_EXPR_DATA);
    }

    private static void endExpr(NlRequest r) {
        r.endNest().endNest();
    }

    private static void meta(NlRequest r, int key) {
        beginExpr(r, "meta").attrBe32(NFTA_META_DREG, NFT_REG_1).attrBe32(NFTA_META_KEY, key);
        endExpr(r);
    }

    private static void cmp(NlRequest r, int op, byte[] value) {
        beginExpr(r, "cmp").attrBe32(NFTA_CMP_SREG, NFT_REG_1).attrBe32(NFTA_CMP_OP, op)
                .beginNest(NFTA_CMP_DATA).attr(NFTA_DATA_VALUE, value).endNest();
        endExpr(r);
    }

    /** An interface name as meta iifname loads it: IFNAMSIZ bytes, NUL-padded. */
    private static byte[] ifname(String name) {
        byte[] b = NlRequest.checkIfName(name);
        byte[] out = new byte[Rtnl.IFNAMSIZ];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    /** Decodes a NFT_MSG_NEWRULE message of a dump. */
    static NftRuleState decodeRule(NlMsg m) {
        NlAttrs a = m.attrs(NFGENMSG_LEN);
        String chain = a.string(NFTA_RULE_CHAIN);
        Long handle = a.be64(NFTA_RULE_HANDLE);
        List<NftMatch> matches = new ArrayList<>();
        boolean counter = false;
        long packets = 0;
        long bytes = 0;
        NftVerdict verdict = null;
        // a load (meta key or payload offset) waits for the cmp that completes it
        String load = null;
        int key = -1;
        List<String> unknown = new ArrayList<>();
        Bytes exprs = a.get(NFTA_RULE_EXPRESSIONS);
        for (Bytes e : exprs == null ? List.<Bytes>of() : NlAttrs.elements(exprs)) {
            NlAttrs ea = NlAttrs.parse(e);
            String name = ea.string(NFTA_EXPR_NAME);
            NlAttrs d = ea.nested(NFTA_EXPR_DATA);
            if (name == null || d == null) {
                throw new NetlinkProtocolException("nf_tables expression without a name or data in rule of chain " + chain);
            }
            switch (name) {
                case "meta" -> {
                    load = "meta";
                    key = d.be32(NFTA_META_KEY) == null ? -1 : d.be32(NFTA_META_KEY);
                }
                case "payload" -> {
                    Integer base = d.be32(NFTA_PAYLOAD_BASE);
                    Integer off = d.be32(NFTA_PAYLOAD_OFFSET);
                    Integer len = d.be32(NFTA_PAYLOAD_LEN);
                    boolean port = base != null && base == NFT_PAYLOAD_TRANSPORT_HEADER && len != null && len == 2
                            && off != null && (off == 0 || off == 2);
                    load = port ? "payload" : null;
                    key = port ? off : -1;
                    if (!port) {
                        unknown.add(name);
                    }
                }
                case "cmp" -> {
                    NftMatch match = cmp(load, key, d);
                    if (match == null) {
                        unknown.add(load == null ? name : load + "+" + name);
                    } else {
                        matches.add(match);
                    }
                    load = null;
                }
                case "counter" -> {
                    counter = true;
                    packets = d.be64(NFTA_COUNTER_PACKETS) == null ? 0 : d.be64(NFTA_COUNTER_PACKETS);
                    bytes = d.be64(NFTA_COUNTER_BYTES) == null ? 0 : d.be64(NFTA_COUNTER_BYTES);
                }
                case "immediate" -> {
                    NlAttrs data = d.nested(NFTA_IMMEDIATE_DATA);
                    NlAttrs v = data == null ? null : data.nested(NFTA_DATA_VERDICT);
                    Integer code = v == null ? null : v.be32(NFTA_VERDICT_CODE);
                    verdict = code == null ? null : NftVerdict.of(code);
                    if (verdict == null) {
                        unknown.add(name);
                    }
                }
                default -> unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            matches.add(new NftMatch.Unknown(String.join(" ", unknown)));
        }
        NftRule rule = new NftRule(comment(a.get(NFTA_RULE_USERDATA)), matches, counter, verdict);
        return new NftRuleState(handle == null ? 0 : handle, chain, rule, packets, bytes);
    }

    private static NftMatch cmp(String load, int key, NlAttrs d) {
        Integer op = d.be32(NFTA_CMP_OP);
        NlAttrs data = d.nested(NFTA_CMP_DATA);
        byte[] v = data == null ? null : data.bytes(NFTA_DATA_VALUE);
        if (load == null || op == null || v == null || (op != NFT_CMP_EQ && op != NFT_CMP_NEQ)) {
            return null;
        }
        if (load.equals("meta") && key == NFT_META_IIFNAME) {
            int end = 0;
            while (end < v.length && v[end] != 0) {
                end++;
            }
            return new NftMatch.IifName(new String(v, 0, end, StandardCharsets.UTF_8), op == NFT_CMP_EQ);
        }
        if (op != NFT_CMP_EQ) {
            return null;
        }
        if (load.equals("meta") && key == NFT_META_L4PROTO && v.length == 1) {
            return new NftMatch.L4Proto(v[0] & 0xff);
        }
        if (load.equals("payload") && v.length == 2) {
            return new NftMatch.Port(key == 2, (v[0] & 0xff) << 8 | (v[1] & 0xff));
        }
        return null;
    }

    /** The comment in rule user data (TLVs of u8 type, u8 length), or null. */
    private static String comment(Bytes u) {
        if (u == null) {
            return null;
        }
        int off = 0;
        while (off + 2 <= u.length()) {
            int type = u.u8(off);
            int len = u.u8(off + 1);
            if (off + 2 + len > u.length()) {
                break;
            }
            if (type == NFTNL_UDATA_RULE_COMMENT) {
                return u.slice(off + 2, len).cString();
            }
            off += 2 + len;
        }
        return null;
    }
}
