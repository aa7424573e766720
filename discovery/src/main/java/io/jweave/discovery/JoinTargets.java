package io.jweave.discovery;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The peers this member tries to join and, after a split, searches for the other side: the peers
 * given at launch plus those added at runtime ({@link Mesh#connect}), minus those removed
 * ({@link Mesh#forget}). Held as {@code host:port} strings (the default port filled in) and read by
 * the Hazelcast discovery strategy every time Hazelcast looks for members, so a change takes effect
 * at the next join attempt or merge search without restarting the member. Thread-safe.
 */
public final class JoinTargets {
    private final int defaultPort;
    private final List<String> targets = new CopyOnWriteArrayList<>();

    JoinTargets(int defaultPort, List<String> initial) {
        this.defaultPort = defaultPort;
        for (String p : initial) {
            add(p);
        }
    }

    /** The targets, {@code host:port}, in the order they were added. */
    public List<String> list() {
        return List.copyOf(targets);
    }

    /** Adds {@code peer} ({@code host}, {@code host:port}, {@code [v6]:port}); false if it was there already. */
    public synchronized boolean add(String peer) {
        String n = normalize(peer, defaultPort);
        if (targets.contains(n)) {
            return false;
        }
        targets.add(n);
        return true;
    }

    /** Removes {@code peer}; false if it was not a target. */
    public synchronized boolean remove(String peer) {
        return targets.remove(normalize(peer, defaultPort));
    }

    public boolean contains(String peer) {
        return targets.contains(normalize(peer, defaultPort));
    }

    /**
     * {@code host:port} for {@code host}, {@code host:port}, {@code v6}, {@code [v6]} or
     * {@code [v6]:port}; refuses what cannot be a peer (empty, spaces, a bad port).
     */
    public static String normalize(String peer, int defaultPort) {
        Objects.requireNonNull(peer, "peer");
        String s = peer.trim();
        if (s.isEmpty() || s.chars().anyMatch(c -> Character.isWhitespace(c) || c == ',' || c == ';' || c == '/')) {
            throw new IllegalArgumentException("\"" + peer + "\" is not a peer: give a host name or address, optionally with :port");
        }
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("\"" + peer + "\" is not a peer: missing ']'");
            }
            host = s.substring(0, close + 1);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                throw new IllegalArgumentException("\"" + peer + "\" is not a peer: expected :port after ']'");
            }
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon > 0 && s.indexOf(':') != colon) {       // a bare IPv6 address
                host = "[" + s + "]";
                port = null;
            } else if (colon > 0) {
                host = s.substring(0, colon);
                port = s.substring(colon + 1);
            } else if (colon == 0) {
                throw new IllegalArgumentException("\"" + peer + "\" is not a peer: no host before ':'");
            } else {
                host = s;
                port = null;
            }
        }
        int p = defaultPort;
        if (port != null) {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("\"" + peer + "\" is not a peer: port \"" + port + "\" is not 1-65535");
            }
        }
        return host + ":" + p;
    }

    /** Host part of a normalized target (brackets of IPv6 removed). */
    static String host(String target) {
        String h = target.substring(0, target.lastIndexOf(':'));
        return h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
    }

    static int port(String target) {
        return Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
    }

    @Override
    public String toString() {
        return new ArrayList<>(targets).toString();
    }
}
