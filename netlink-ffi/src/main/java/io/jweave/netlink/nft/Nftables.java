package io.jweave.netlink.nft;

import static io.jweave.netlink.nl.Nft.*;

import io.jweave.netlink.NetNs;
import io.jweave.netlink.NetlinkException;
import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import io.jweave.netlink.sys.Errno;
import io.jweave.netlink.sys.Sys;
import java.util.ArrayList;
import java.util.List;

/**
 * nftables through nfnetlink (NETLINK_NETFILTER) in one network namespace: whole tables written
 * in one transaction, and rules read back with their counters. Not a general nft library: the
 * model is the few matches and verdicts of {@link NftMatch} and {@link NftVerdict}.
 *
 * <pre>
 * nft.replaceTable(new NftTable(NftFamily.INET, "jweave", List.of(NftChain.filter("input", NftHook.INPUT, -10, List.of(
 *         NftRule.of("drop-plaintext-vxlan", NftVerdict.DROP, NftMatch.iifnameNot("tun0"),
 *                 NftMatch.iifnameNot("lo"), NftMatch.udp(), NftMatch.dport(4789)))))));
 * long dropped = nft.rules(NftFamily.INET, "jweave", "input").get(0).packets();
 * </pre>
 */
public final class Nftables implements AutoCloseable {
    private final NetlinkSocket sock;
    /** Whether the kernel has NFT_MSG_DESTROYTABLE (Linux 6.3+); learnt on first use. */
    private volatile boolean hasDestroy = true;

    private Nftables(NetlinkSocket sock) {
        this.sock = sock;
    }

    /** nftables of the calling thread's namespace (normally the process's own). */
    public static Nftables open() {
        return new Nftables(NetlinkSocket.open(Sys.NETLINK_NETFILTER));
    }

    /** nftables of {@code ns}; usable from any thread afterwards. */
    public static Nftables open(NetNs ns) {
        return new Nftables(ns.call(() -> NetlinkSocket.open(Sys.NETLINK_NETFILTER)));
    }

    /**
     * Makes {@code table} exactly as given, in one transaction: the table is deleted if it exists
     * (with its chains, rules and counters) and created anew with its chains and rules. Either all
     * of it is applied or, when the kernel refuses any part, nothing is and the table stays as it
     * was; the {@link NetlinkException} names the part, e.g.
     * {@code replace table inet jweave: add rule "x" to chain nope: No such file or directory (ENOENT)}.
     */
    public void replaceTable(NftTable table) {
        String op = "replace table " + table;
        List<NlRequest> reqs = new ArrayList<>();
        List<String> what = new ArrayList<>();
        boolean destroy = hasDestroy;
        if (destroy) {
            reqs.add(NftCodec.table(NFT_MSG_DESTROYTABLE, 0, table.family(), table.name()));
            what.add("destroy table " + table);
        } else if (tableExists(table.family(), table.name())) {
            reqs.add(NftCodec.table(NFT_MSG_DELTABLE, 0, table.family(), table.name()));
            what.add("delete table " + table);
        }
        reqs.add(NftCodec.table(NFT_MSG_NEWTABLE, io.jweave.netlink.nl.Rtnl.NLM_F_CREATE, table.family(), table.name()));
        what.add("create table " + table);
        for (NftChain c : table.chains()) {
            reqs.add(NftCodec.chain(table, c));
            what.add("create chain " + c.name() + " (type " + c.type().keyword() + " hook " + c.hook().name().toLowerCase()
                    + " priority " + c.priority() + " policy " + c.policy().name().toLowerCase() + ")");
            for (NftRule r : c.rules()) {
                reqs.add(NftCodec.rule(table.family(), table.name(), c.name(), r));
                what.add("add rule " + (r.comment() == null ? "#" + c.rules().indexOf(r) : "\"" + r.comment() + "\"")
                        + " to chain " + c.name());
            }
        }
        try {
            transaction(op, reqs, what);
        } catch (NetlinkException e) {
            if (destroy && unsupported(e, op + ": " + what.get(0))) {
                hasDestroy = false; // a kernel before 6.3: check, then delete
                replaceTable(table);
                return;
            }
            throw e;
        }
    }

    /** Deletes the table and everything in it; a table that does not exist is no error. */
    public void deleteTable(NftFamily family, String name) {
        NftTable.checkName("table", name);
        String op = "delete table " + family.keyword() + " " + name;
        if (hasDestroy) {
            try {
                transaction(op, List.of(NftCodec.table(NFT_MSG_DESTROYTABLE, 0, family, name)), List.of("destroy"));
                return;
            } catch (NetlinkException e) {
                if (!unsupported(e, op + ": destroy")) {
                    throw e;
                }
                hasDestroy = false;
            }
        }
        try {
            transaction(op, List.of(NftCodec.table(NFT_MSG_DELTABLE, 0, family, name)), List.of("delete"));
        } catch (NetlinkException e) {
            if (!e.isNotFound()) {
                throw e;
            }
        }
    }

    private static boolean unsupported(NetlinkException e, String destroyOp) {
        return e.operation().equals(destroyOp) && (e.errno() == Errno.EINVAL || e.errno() == Errno.EOPNOTSUPP);
    }

    public boolean tableExists(NftFamily family, String name) {
        NftTable.checkName("table", name);
        try {
            sock.query(NftCodec.table(NFT_MSG_GETTABLE, 0, family, name), "get table " + family.keyword() + " " + name);
            return true;
        } catch (NetlinkException e) {
            if (e.isNotFound()) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The rules of one chain, in order, with their counters; a missing table or chain is a
     * {@link NetlinkException} with {@code isNotFound()}.
     */
    public List<NftRuleState> rules(NftFamily family, String table, String chain) {
        NftTable.checkName("table", table);
        NftTable.checkName("chain", chain);
        NlRequest r = NftCodec.message(NFT_MSG_GETRULE, 0, family)
                .attrString(NFTA_RULE_TABLE, table).attrString(NFTA_RULE_CHAIN, chain);
        List<NftRuleState> out = new ArrayList<>();
        String op = "list rules of chain " + family.keyword() + " " + table + " " + chain;
        for (NlMsg m : sock.dump(r, op)) {
            if (m.type() == type(NFT_MSG_NEWRULE)) {
                NftRuleState s = NftCodec.decodeRule(m);
                if (chain.equals(s.chain())) {
                    out.add(s);
                }
            }
        }
        if (out.isEmpty()) {
            // the dump filter passes over a missing table or chain silently: ask for the chain itself
            sock.query(NftCodec.message(NFT_MSG_GETCHAIN, 0, family)
                    .attrString(NFTA_CHAIN_TABLE, table).attrString(NFTA_CHAIN_NAME, chain), op);
        }
        return out;
    }

    private void transaction(String op, List<NlRequest> reqs, List<String> what) {
        sock.executeTransaction(NftCodec.batch(NFNL_MSG_BATCH_BEGIN), reqs, NftCodec.batch(NFNL_MSG_BATCH_END), op, what::get);
    }

    @Override
    public void close() {
        sock.close();
    }
}
