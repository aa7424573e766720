package io.jweave.it.testbed;

import io.jweave.netlink.NetNs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder from this JVM's network namespace into a simulated host's: listens on
 * 127.0.0.1:&lt;free port&gt; here and, per connection, opens a socket to 127.0.0.1:{@code targetPort}
 * inside the host's namespace (created on a thread that entered it, see {@link NetNs#call}), then
 * copies bytes both ways. So a browser on this machine reaches a router's loopback-only HTTP
 * listener; the Host header it sends (127.0.0.1:&lt;port&gt;) is a loopback one. Nothing else is opened
 * in either namespace.
 */
public final class NetnsForwarder implements AutoCloseable {
    private final NetNs ns;
    private final int targetPort;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private NetnsForwarder(NetNs ns, int targetPort) throws IOException {
        this.ns = ns;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "fwd-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Forwards 127.0.0.1:{@link #port()} here to 127.0.0.1:{@code targetPort} in {@code host}'s namespace. */
    public static NetnsForwarder to(SimHost host, int targetPort) {
        NetNs ns = NetNs.openNamed(host.netns());
        try {
            return new NetnsForwarder(ns, targetPort);
        } catch (IOException e) {
            ns.close();
            throw new TestbedException("cannot listen on 127.0.0.1 for the forwarder to " + host.name() + ": " + e, e);
        }
    }

    /** The local port (on 127.0.0.1 of this JVM's namespace). */
    public int port() {
        return server.getLocalPort();
    }

    /** {@code http://127.0.0.1:PORT/}. */
    public String url() {
        return "http://127.0.0.1:" + port() + "/";
    }

    /** Connections currently forwarded (each counts its two sockets once). */
    public int connections() {
        return open.size() / 2;
    }

    private void accept() {
        while (!closed) {
            Socket down;
            try {
                down = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Socket up;
            try {
                up = ns.call(() -> {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
                    return s;
                });
            } catch (RuntimeException e) {
                closeQuietly(down);
                continue;
            }
            try {
                down.setTcpNoDelay(true);
                up.setTcpNoDelay(true);
            } catch (IOException e) {
                // best effort
            }
            open.add(down);
            open.add(up);
            AtomicInteger pumps = new AtomicInteger(2);
            pump(down, up, pumps, "fwd-out-" + down.getPort());
            pump(up, down, pumps, "fwd-in-" + down.getPort());
        }
    }

    /** Copies {@code from} → {@code to}; at EOF half-closes {@code to}; the last pump (or any error) closes both. */
    private void pump(Socket from, Socket to, AtomicInteger pumps, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            boolean clean = false;
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
                clean = true;
            } catch (IOException e) {
                // either side closed or reset
            }
            if (pumps.decrementAndGet() == 0 || !clean) {
                finish(from, to);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private void finish(Socket a, Socket b) {
        closeQuietly(a);
        closeQuietly(b);
        open.remove(a);
        open.remove(b);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ns.close();
    }
}
