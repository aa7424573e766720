package io.jweave.discovery;

import static io.jweave.discovery.TestSupport.await;
import static io.jweave.discovery.TestSupport.config;
import static io.jweave.discovery.TestSupport.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Peers added at runtime: two meshes started apart become one after {@link Mesh#connect}, in
 * whichever direction Hazelcast's merge rule would pick, also when the connecting member is not
 * its mesh's master; {@link Mesh#forget} removes the join target.
 */
class ConnectTest {
    @RegisterExtension
    final StartedMeshes meshes = new StartedMeshes();

    private static long up(Mesh m) {
        return m.members().stream().filter(p -> p.state() == Peer.State.UP).count();
    }

    @Test
    void connectJoinsTwoMeshesOfOneInEitherDirection() {
        String cl = TestSupport.cluster("connect");
        int p1 = freePort();
        int p2 = freePort();
        int low = Math.min(p1, p2);
        int high = Math.max(p1, p2);
        // the member with the greater address connects (Hazelcast would merge it anyway) ...
        Mesh a = meshes.start(config(cl, "a", high));
        Mesh b = meshes.start(config(cl, "b", low));
        assertTrue(a.connect("127.0.0.1:" + low));
        Duration t1 = await("a and b are one mesh", Duration.ofSeconds(30), () -> up(a) == 2 && up(b) == 2);
        assertEquals(List.of("127.0.0.1:" + low), a.joinTargets());
        await("a has seen b join", Duration.ofSeconds(10), () -> a.since("b") > 0);
        // ... and the member with the smaller address connects (Hazelcast would wait for the other side)
        String cl2 = TestSupport.cluster("connect2");
        int q1 = freePort();
        int q2 = freePort();
        Mesh c = meshes.start(config(cl2, "c", Math.min(q1, q2)));
        Mesh d = meshes.start(config(cl2, "d", Math.max(q1, q2)));
        c.connect("127.0.0.1:" + Math.max(q1, q2));
        Duration t2 = await("c and d are one mesh", Duration.ofSeconds(30), () -> up(c) == 2 && up(d) == 2);
        System.out.printf("CONNECT formed a mesh of two in %d ms (greater address connects), %d ms (smaller)%n",
                t1.toMillis(), t2.toMillis());
    }

    @Test
    void aMemberThatIsNotItsMeshsMasterConnectsItsWholeMesh() {
        String cl = TestSupport.cluster("connect3");
        int pm = freePort();
        int pa = freePort();
        int pb = freePort();
        Mesh master = meshes.start(config(cl, "m", pm));
        Mesh a = meshes.start(config(cl, "a", pa, pm));
        Mesh b = meshes.start(config(cl, "b", pb));
        await("m and a are one mesh", Duration.ofSeconds(15), () -> up(a) == 2);
        a.connect("127.0.0.1:" + pb);
        Duration t = await("m, a and b are one mesh", Duration.ofSeconds(40),
                () -> up(master) == 3 && up(a) == 3 && up(b) == 3);
        System.out.printf("CONNECT by a non-master member merged a mesh of two with one in %d ms%n", t.toMillis());
    }

    @Test
    void forgetRemovesTheTargetAndConnectRefusesItself() {
        String cl = TestSupport.cluster("forget");
        int pa = freePort();
        int pb = freePort();
        Mesh a = meshes.start(config(cl, "a", pa, pb));
        assertEquals(List.of("127.0.0.1:" + pb), a.joinTargets());
        assertTrue(a.forget("127.0.0.1:" + pb));
        assertFalse(a.forget("127.0.0.1:" + pb));
        assertEquals(List.of(), a.joinTargets());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.connect("127.0.0.1:" + pa));
        assertTrue(e.getMessage().contains("own mesh address"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.connect("not a peer"));
    }
}
