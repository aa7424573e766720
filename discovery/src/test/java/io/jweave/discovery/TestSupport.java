package io.jweave.discovery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

final class TestSupport {

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private TestSupport() {
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A config on 127.0.0.1, a free port, a cluster name of its own (tests never meet each other). */
    static MeshConfig config(String cluster, String name, int port, Integer... peerPorts) {
        List<String> peers = java.util.Arrays.stream(peerPorts).map(p -> "127.0.0.1:" + p).toList();
        return MeshConfig.of(name, LOOPBACK).withPort(port).withPeers(peers).withClusterName(cluster);
    }

    static String cluster(String test) {
        return "jweave-test-" + test + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
    }

    /** Waits until the condition holds; returns how long it took. */
    static Duration await(String what, Duration limit, BooleanSupplier condition) {
        long t0 = System.nanoTime();
        long deadline = t0 + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fail("timed out after " + limit.toMillis() + " ms waiting for: " + what);
        return limit;
    }

    static EndpointRecord endpoint(String net, String ip, String host) {
        return new EndpointRecord(net, ip, "02:42:00:00:00:" + Integer.toHexString(ip.hashCode() & 0xff), host,
                "127.0.0.1", "c-" + ip, List.of());
    }
}
