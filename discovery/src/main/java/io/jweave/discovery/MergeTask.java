package io.jweave.discovery;

import com.hazelcast.cluster.Address;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import java.io.Serializable;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;

/**
 * Runs a {@link MergeNudge} on the member that receives it: only a mesh's master may make the whole
 * mesh merge, so a member that is not the master sends this to the master. Carries only strings.
 */
final class MergeTask implements Callable<String>, Serializable, HazelcastInstanceAware {
    private static final long serialVersionUID = 1L;

    private final String host;
    private final int port;
    private transient HazelcastInstance hz;

    MergeTask(String host, int port) {
        this.host = host;
        this.port = port;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
        this.hz = hazelcastInstance;
    }

    @Override
    public String call() throws UnknownHostException {
        return MergeNudge.mergeInto(hz, new Address(host, port)).name();
    }
}
