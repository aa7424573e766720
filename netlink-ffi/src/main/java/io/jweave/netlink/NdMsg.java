package io.jweave.netlink;

import static io.jweave.netlink.nl.Rtnl.*;

import io.jweave.netlink.nl.NetlinkSocket;
import io.jweave.netlink.nl.NlMsg;
import io.jweave.netlink.nl.NlRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Encoding shared by neighbour and FDB requests (struct ndmsg + NDA_* attributes), and batching. */
final class NdMsg {
    private NdMsg() {
    }

    static NlRequest request(int type, int flags, int family, int index, int state, int ntfFlags) {
        NlRequest r = new NlRequest(type, flags);
        r.u8(family).u8(0).u16(0).u32(index).u16(state).u8(ntfFlags).u8(0);
        return r;
    }

    static int flagsFor(int type, boolean replace) {
        if (type == RTM_DELNEIGH) {
            return 0;
        }
        return replace ? NLM_F_CREATE | NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL;
    }

    /** Sends all requests as a batch; throws one exception listing the failures, if any. */
    static <T> void batch(NetlinkSocket sock, String operation, List<T> items, Function<T, NlRequest> encode,
                          Function<T, String> describe) {
        if (items.isEmpty()) {
            return;
        }
        List<NlRequest> reqs = new ArrayList<>(items.size());
        for (T t : items) {
            reqs.add(encode.apply(t));
        }
        List<NetlinkSocket.BatchFailure> f = sock.executeBatch(reqs, i -> describe.apply(items.get(i)));
        if (!f.isEmpty()) {
            List<NetlinkException> errors = new ArrayList<>(f.size());
            for (NetlinkSocket.BatchFailure b : f) {
                errors.add(b.error());
            }
            throw new NetlinkBatchException(operation, items.size(), errors);
        }
    }

    static int family(NlMsg m) {
        return m.payload().u8(0);
    }

    static int index(NlMsg m) {
        return m.payload().u32(4);
    }

    static int state(NlMsg m) {
        return m.payload().u16(8);
    }

    static int ntfFlags(NlMsg m) {
        return m.payload().u8(10);
    }
}
