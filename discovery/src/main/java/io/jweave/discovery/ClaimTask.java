package io.jweave.discovery;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;

import java.io.Serializable;
import java.util.concurrent.Callable;

/**
 * A claim message, run on the receiving member by the {@code jweave.claims} executor. It carries
 * only strings; the receiving member's {@link Claims} (found in the Hazelcast user context) decides.
 */
final class ClaimTask implements Callable<String>, Serializable, HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;

    private final String op;
    private final String payload;
    private transient HazelcastInstance hz;

    ClaimTask(String op, String payload) {
        this.op = op;
        this.payload = payload;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
        this.hz = hazelcastInstance;
    }

    @Override
    public String call() {
        Object c = hz == null ? null : hz.getUserContext().get(Claims.CONTEXT_KEY);
        if (!(c instanceof Claims claims)) {
            return "NOTREADY";
        }
        return claims.handle(op, payload);
    }
}
