package io.jweave.discovery;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** A mesh member in its own JVM (for {@link SeparateProcessTest}): args cluster name port peerPort. */
public final class MeshChild {

    private MeshChild() {
    }

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        MeshConfig c = MeshConfig.of(args[1], TestSupport.LOOPBACK).withClusterName(args[0])
                .withPort(Integer.parseInt(args[2])).withPeers(List.of("127.0.0.1:" + args[3]));
        try (Mesh m = Mesh.start(c)) {
            for (int i = 1; i <= 3; i++) {
                m.endpoints().publish("ep" + i, TestSupport.endpoint("blue", "100.64.0." + (100 + i), args[1]));
            }
            System.out.println("READY " + m.startupTime().toMillis() + " " + (System.nanoTime() - t0) / 1_000_000);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (in.readLine() != null) {
                // parent closes stdin to stop us gracefully
            }
        }
    }
}
