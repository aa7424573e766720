package io.jweave.netlink.nl;

/**
 * Constants of nfnetlink and nf_tables (linux/netfilter/nfnetlink.h, nf_tables.h, netfilter.h).
 * Integers inside nf_tables attributes are big-endian on the wire.
 */
public final class Nft {
    private Nft() {
    }

    public static final int NFGENMSG_LEN = 4;
    public static final int NFNETLINK_V0 = 0;
    public static final int NFNL_SUBSYS_NFTABLES = 10;
    public static final int NFNL_MSG_BATCH_BEGIN = 16;
    public static final int NFNL_MSG_BATCH_END = 17;

    // enum nf_tables_msg_types
    public static final int NFT_MSG_NEWTABLE = 0;
    public static final int NFT_MSG_GETTABLE = 1;
    public static final int NFT_MSG_DELTABLE = 2;
    public static final int NFT_MSG_NEWCHAIN = 3;
    public static final int NFT_MSG_GETCHAIN = 4;
    public static final int NFT_MSG_NEWRULE = 6;
    public static final int NFT_MSG_GETRULE = 7;
    /** Linux 6.3+: delete, and no error when absent. */
    public static final int NFT_MSG_DESTROYTABLE = 26;

    /** The nlmsg_type of an nf_tables message. */
    public static int type(int msg) {
        return NFNL_SUBSYS_NFTABLES << 8 | msg;
    }

    // NFPROTO_*
    public static final int NFPROTO_INET = 1;
    public static final int NFPROTO_IPV4 = 2;
    public static final int NFPROTO_IPV6 = 10;

    // NF_INET_* hooks
    public static final int NF_INET_PRE_ROUTING = 0;
    public static final int NF_INET_LOCAL_IN = 1;
    public static final int NF_INET_FORWARD = 2;
    public static final int NF_INET_LOCAL_OUT = 3;
    public static final int NF_INET_POST_ROUTING = 4;

    // verdicts
    public static final int NF_DROP = 0;
    public static final int NF_ACCEPT = 1;

    public static final int NFTA_TABLE_NAME = 1;
    public static final int NFTA_TABLE_FLAGS = 2;

    public static final int NFTA_CHAIN_TABLE = 1;
    public static final int NFTA_CHAIN_NAME = 3;
    public static final int NFTA_CHAIN_HOOK = 4;
    public static final int NFTA_CHAIN_POLICY = 5;
    public static final int NFTA_CHAIN_TYPE = 7;
    public static final int NFTA_HOOK_HOOKNUM = 1;
    public static final int NFTA_HOOK_PRIORITY = 2;

    public static final int NFTA_RULE_TABLE = 1;
    public static final int NFTA_RULE_CHAIN = 2;
    public static final int NFTA_RULE_HANDLE = 3;
    public static final int NFTA_RULE_EXPRESSIONS = 4;
    public static final int NFTA_RULE_USERDATA = 7;

    public static final int NFTA_LIST_ELEM = 1;
    public static final int NFTA_EXPR_NAME = 1;
    public static final int NFTA_EXPR_DATA = 2;

    /** The 16-byte register 1 (NFT_REG_1); NFT_REG_VERDICT is 0. */
    public static final int NFT_REG_VERDICT = 0;
    public static final int NFT_REG_1 = 1;

    public static final int NFTA_META_DREG = 1;
    public static final int NFTA_META_KEY = 2;
    public static final int NFT_META_IIFNAME = 6;
    public static final int NFT_META_L4PROTO = 16;

    public static final int NFTA_CMP_SREG = 1;
    public static final int NFTA_CMP_OP = 2;
    public static final int NFTA_CMP_DATA = 3;
    public static final int NFT_CMP_EQ = 0;
    public static final int NFT_CMP_NEQ = 1;

    public static final int NFTA_PAYLOAD_DREG = 1;
    public static final int NFTA_PAYLOAD_BASE = 2;
    public static final int NFTA_PAYLOAD_OFFSET = 3;
    public static final int NFTA_PAYLOAD_LEN = 4;
    public static final int NFT_PAYLOAD_TRANSPORT_HEADER = 2;

    public static final int NFTA_COUNTER_BYTES = 1;
    public static final int NFTA_COUNTER_PACKETS = 2;

    public static final int NFTA_IMMEDIATE_DREG = 1;
    public static final int NFTA_IMMEDIATE_DATA = 2;
    public static final int NFTA_DATA_VALUE = 1;
    public static final int NFTA_DATA_VERDICT = 2;
    public static final int NFTA_VERDICT_CODE = 1;

    /** Rule user data is a TLV list (u8 type, u8 length, value); libnftnl's comment is type 0, NUL-terminated. */
    public static final int NFTNL_UDATA_RULE_COMMENT = 0;
    public static final int NFT_USERDATA_MAXLEN = 256;
    public static final int NFT_NAME_MAXLEN = 256;
}
