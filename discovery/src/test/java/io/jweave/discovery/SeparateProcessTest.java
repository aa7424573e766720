package io.jweave.discovery;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.jweave.discovery.TestSupport.await;
import static io.jweave.discovery.TestSupport.config;
import static io.jweave.discovery.TestSupport.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A member in another JVM: frozen (SIGSTOP) and thawed, then killed with SIGKILL. */
class SeparateProcessTest {

    @Test
    void frozenThenKilledMemberLosesItsRowsWithinFiveSeconds() throws Exception {
        String cl = TestSupport.cluster("process");
        int pa = freePort(), pb = freePort();
        try (Mesh a = Mesh.start(config(cl, "a", pa))) {
            List<String> left = new CopyOnWriteArrayList<>();
            List<String> joined = new CopyOnWriteArrayList<>();
            a.subscribe(new MeshListener() {
                @Override
                public void memberLeft(Peer p) {
                    left.add(p.name());
                }

                @Override
                public void memberJoined(Peer p) {
                    joined.add(p.name());
                }
            });
            String java = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder pb0 = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), MeshChild.class.getName(), cl, "b",
                    Integer.toString(pb), Integer.toString(pa)).redirectErrorStream(true);
            long t0 = System.nanoTime();
            Process child = pb0.start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String ready = null;
                for (String line; (line = out.readLine()) != null; ) {
                    System.out.println("[child b] " + line);
                    if (line.startsWith("READY")) {
                        ready = line;
                        break;
                    }
                }
                assertTrue(ready != null, "child did not start");
                System.out.printf("PROCESS child JVM: Mesh.start -> joined %s ms, JVM launch -> ready %d ms (own count %s ms)%n",
                        ready.split(" ")[1], (System.nanoTime() - t0) / 1_000_000, ready.split(" ")[2]);
                Thread drain = new Thread(() -> {
                    try {
                        for (String line; (line = out.readLine()) != null; ) {
                            System.out.println("[child b] " + line);
                        }
                    } catch (Exception ignored) {
                        // child gone
                    }
                });
                drain.setDaemon(true);
                drain.start();
                await("child's rows on a", Duration.ofSeconds(5), () -> a.endpoints().byOwner("b").size() == 3);

                // freeze the child longer than the failure timeout: it is declared dead, its rows go
                signal("STOP", child.pid());
                long frozen = System.nanoTime();
                Duration gone = await("frozen child's rows gone", Duration.ofSeconds(5), () -> a.endpoints().byOwner("b").isEmpty());
                System.out.printf("PROCESS SIGSTOP -> rows removed on a after %d ms%n", gone.toMillis());
                assertTrue(left.contains("b"));
                Thread.sleep(2000);
                signal("CONT", child.pid());
                Duration back = await("thawed child rejoined and re-published", Duration.ofSeconds(30),
                        () -> a.endpoints().byOwner("b").size() == 3);
                System.out.printf("PROCESS SIGCONT after %d ms frozen -> rows back on a after %d ms%n",
                        (System.nanoTime() - frozen) / 1_000_000 - back.toMillis(), back.toMillis());

                // hard kill
                left.clear();
                child.destroyForcibly();                 // SIGKILL
                Duration killed = await("killed child's rows gone", Duration.ofSeconds(5), () -> a.endpoints().byOwner("b").isEmpty());
                System.out.printf("PROCESS SIGKILL -> rows removed on a after %d ms%n", killed.toMillis());
                assertTrue(child.waitFor(5, TimeUnit.SECONDS));
                await("memberLeft", Duration.ofSeconds(1), () -> left.contains("b"));
                assertEquals(1, a.members().stream().filter(p -> p.state() == Peer.State.UP).count());
            } finally {
                child.destroyForcibly();
                child.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
        assertEquals(0, k.waitFor(), "kill -" + sig + " " + pid);
        assertTrue(new File("/proc/" + pid).exists());
    }
}
