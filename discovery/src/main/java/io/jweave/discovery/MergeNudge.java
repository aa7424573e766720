package io.jweave.discovery;

import com.hazelcast.cluster.Address;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.cluster.Joiner;
import com.hazelcast.internal.cluster.impl.AbstractJoiner;
import com.hazelcast.internal.cluster.impl.SplitBrainJoinMessage;
import java.lang.reflect.Method;

/**
 * Makes this member's cluster merge into the cluster of a peer added at runtime, now.
 *
 * <p>Why: Hazelcast's own split-brain search (run every merge interval, by the master only, over
 * the discovered addresses) merges the <em>smaller</em> cluster into the larger one (on a tie, the
 * one with the greater address string). When {@code jweave connect B} runs on A, only A knows B's
 * address: if A is not its cluster's master, or if B's side is the one that should merge, B would
 * have to find A, and it never will. So A asks B the same question Hazelcast asks (is a merge
 * possible: same cluster name and version, no common members) and, unless B refuses, starts the
 * same cluster merge Hazelcast starts, with this side merging. For jweave the direction does not
 * matter: every host re-publishes its rows after a merge and claims converge by anti-entropy.
 *
 * <p>This uses Hazelcast internals (the joiner's protected merge methods); if they are not
 * there, the nudge reports it and the periodic merge search is the only way to meet.
 */
final class MergeNudge {
    private MergeNudge() {
    }

    /** What a nudge did. */
    enum Outcome { MERGING, REFUSED, UNAVAILABLE }

    static Outcome mergeInto(HazelcastInstance hz, Address target) {
        Node node;
        Joiner joiner;
        try {
            node = hz instanceof HazelcastInstanceProxy p ? p.getOriginal().node : ((HazelcastInstanceImpl) hz).node;
            joiner = node.getJoiner();
        } catch (RuntimeException | LinkageError e) {
            return Outcome.UNAVAILABLE;
        }
        if (!(joiner instanceof AbstractJoiner)) {
            return Outcome.UNAVAILABLE;
        }
        try {
            Method check = AbstractJoiner.class.getDeclaredMethod("sendSplitBrainJoinMessageAndCheckResponse",
                    Address.class, SplitBrainJoinMessage.class);
            Method merge = AbstractJoiner.class.getDeclaredMethod("startClusterMerge", Address.class, int.class);
            check.setAccessible(true);
            merge.setAccessible(true);
            Object result = check.invoke(joiner, target, node.createSplitBrainJoinMessage());
            if (result == null || "CANNOT_MERGE".equals(result.toString())) {
                return Outcome.REFUSED;
            }
            merge.invoke(joiner, target, node.getClusterService().getMemberListVersion());
            return Outcome.MERGING;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return Outcome.UNAVAILABLE;
        }
    }
}
