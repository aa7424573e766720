package io.jweave.discovery;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Cluster-unique claims (network names, VNIs, pools, address blocks).
 *
 * <p><b>Rule.</b> A claim is granted only when a strict majority of the known hosts (the voters)
 * has accepted it and then committed it; a voter accepts at most one holder per key. Any two
 * majorities share a voter, so two hosts can never both be granted the same key, whatever the
 * partition. A side without a majority of the voters cannot claim at all. See README for the
 * whole rule (voters, reclaim, fencing, merge order).
 *
 * <p>Reads ({@link #holder}, {@link #all}, {@link #held}) are local. Claiming costs two rounds of
 * messages to the members, and is meant for rare events (a pool, a block of addresses), never
 * per container.
 */
public final class Claims implements AutoCloseable {

    static final String CONTEXT_KEY = "jweave.claims";
    static final String EXECUTOR = "jweave.claims";
    static final String LOCKS = "jweave.claim-locks";

    private static final Logger log = LoggerFactory.getLogger(Claims.class);

    /** One key's state on this voter. */
    private record Slot(Claim claim, boolean committed, long since, Claim previous) {
    }

    private final String local;
    private final MeshConfig config;
    private final HazelcastInstance hz;
    private final Supplier<List<Member>> members;
    private final Executor events;
    private final MeshMemory memory;
    private final List<ClaimListener> listeners = new CopyOnWriteArrayList<>();

    // guarded by this
    private final Map<String, Slot> table = new HashMap<>();
    private final Map<String, Long> voters = new HashMap<>();
    private final Map<String, Long> absentSince = new HashMap<>();
    private long quorumLostAt = -1;
    private boolean fenced;
    private volatile boolean closed;

    Claims(MeshConfig config, HazelcastInstance hz, Supplier<List<Member>> members, Executor events, MeshMemory memory) {
        this.local = config.name();
        this.config = config;
        this.hz = hz;
        this.members = members;
        this.events = events;
        this.memory = memory;
        synchronized (this) {
            voters.putAll(memory.knownHosts());
            for (Claim c : memory.claims()) {
                table.put(c.key(), new Slot(c, true, System.nanoTime(), null));
            }
        }
        hz.getUserContext().put(CONTEXT_KEY, this);
    }

    // ------------------------------------------------------------------ public API

    /**
     * Claims {@code key} for this host. Blocks for up to a few claim timeouts; never call it on a
     * Docker request path in steady state.
     */
    public ClaimResult claim(String key) {
        checkKey(key);
        Optional<ClaimResult> known = knownAnswer(key);
        if (known.isPresent()) {
            return known.get();
        }
        IMap<String, String> locks = hz.getMap(LOCKS);
        boolean locked = false;
        try {
            locked = locks.tryLock(key, config.claimTimeout().toMillis(), TimeUnit.MILLISECONDS,
                    config.claimTimeout().toMillis() * 3, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ClaimResult(ClaimResult.Status.CONTENDED, null, "interrupted while claiming " + key);
        } catch (RuntimeException e) {
            log.debug("claim {}: sequencer lock unavailable ({}), voting without it", key, e.toString());
        }
        try {
            ClaimResult last = null;
            for (int attempt = 0; attempt < 4; attempt++) {
                known = knownAnswer(key);
                if (known.isPresent()) {
                    return known.get();
                }
                last = vote(key);
                if (last.status() != ClaimResult.Status.CONTENDED) {
                    return last;
                }
                sleepQuietly(50 + ThreadLocalRandom.current().nextInt(200));
            }
            return last;
        } finally {
            if (locked) {
                try {
                    locks.unlock(key);
                } catch (RuntimeException e) {
                    log.debug("claim {}: unlock failed ({})", key, e.toString());
                }
            }
        }
    }

    /** Gives up this host's claim on {@code key}. Idempotent; keys held by others are left alone. */
    public void release(String key) {
        Claim c;
        synchronized (this) {
            Slot s = table.get(key);
            if (s == null || !s.committed || s.claim.released() || !local.equals(s.claim.holder())) {
                return;
            }
            c = s.claim;
        }
        broadcast("RELEASE", c.encode(), otherMembers(), false);
        handle("RELEASE", c.encode());
        log.info("claim {}: released by {}", key, local);
    }

    /** The holder of {@code key}, read locally. */
    public synchronized Optional<String> holder(String key) {
        Slot s = table.get(key);
        return s == null || !s.committed || s.claim.released() ? Optional.empty() : Optional.of(s.claim.holder());
    }

    /** Every granted claim known here, sorted by key. */
    public synchronized List<Claim> all() {
        return table.values().stream().filter(s -> s.committed && !s.claim.released()).map(Slot::claim)
                .sorted(Comparator.comparing(Claim::key)).toList();
    }

    /** Granted claims whose key starts with {@code prefix}. */
    public List<Claim> withPrefix(String prefix) {
        return all().stream().filter(c -> c.key().startsWith(prefix)).toList();
    }

    /** This host's claims. */
    public List<Claim> held() {
        return all().stream().filter(c -> local.equals(c.holder())).toList();
    }

    /** Whether this side of the mesh holds a majority of the known hosts (claims possible). */
    public boolean hasQuorum() {
        return quorum(presentNames());
    }

    /** Whether this host has been cut off long enough that it must not use its claims (see {@link ClaimListener#fenced}). */
    public synchronized boolean fenced() {
        return fenced;
    }

    /** The known hosts (voters), sorted. */
    public synchronized List<String> knownHosts() {
        return voters.entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey).sorted().toList();
    }

    public Subscription subscribe(ClaimListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public void close() {
        closed = true;
        hz.getUserContext().remove(CONTEXT_KEY, this);
    }

    // ------------------------------------------------------------------ proposer

    private synchronized Optional<ClaimResult> knownAnswer(String key) {
        Slot s = table.get(key);
        if (s != null && s.committed && !s.claim.released()) {
            if (local.equals(s.claim.holder())) {
                return Optional.of(new ClaimResult(ClaimResult.Status.GRANTED, s.claim, key + " is held by " + local));
            }
            return Optional.of(new ClaimResult(ClaimResult.Status.HELD, s.claim, key + " is held by " + s.claim.holder()));
        }
        if (fenced || !quorum(presentNames())) {
            return Optional.of(noQuorum(key));
        }
        return Optional.empty();
    }

    private ClaimResult noQuorum(String key) {
        List<String> present = presentNames();
        List<String> known = knownHosts();
        return new ClaimResult(ClaimResult.Status.NO_QUORUM, null, "cannot claim " + key + ": this side of the mesh has "
                + known.stream().filter(present::contains).count() + " of " + known.size()
                + " known hosts " + known + " (a majority is needed, so that a partitioned minority never hands out what the rest may)");
    }

    private ClaimResult vote(String key) {
        long generation;
        synchronized (this) {
            Slot s = table.get(key);
            generation = s == null ? 1 : s.claim.generation() + (s.claim.released() || !s.committed ? 1 : 0);
        }
        for (int round = 0; round < 3; round++) {
            Claim c = new Claim(key, local, generation, System.currentTimeMillis());
            Set<String> voterSet = Set.copyOf(knownHosts());
            List<Member> targets = members.get();
            Map<String, String> replies = broadcast("ACCEPT", c.encode(), targets, true);
            int ok = 0;
            Claim heldBy = null;
            long stale = -1;
            for (Map.Entry<String, String> r : replies.entrySet()) {
                String reply = r.getValue();
                if (!voterSet.contains(r.getKey())) {
                    continue;
                }
                if (reply.equals("OK")) {
                    ok++;
                } else if (reply.startsWith("STALE\t")) {
                    stale = Math.max(stale, Claim.decode(reply.substring(6)).generation());
                } else if (reply.startsWith("HELD\t")) {
                    String[] f = reply.substring(5).split("\n", 2);
                    Claim h = Claim.decode(f[0]);
                    if (f.length > 1 && f[1].equals("committed")) {
                        heldBy = h;
                    }
                }
            }
            if (ok * 2 > voterSet.size() && stale < 0) {
                Map<String, String> commits = broadcast("COMMIT", c.encode(), targets, true);
                long committed = commits.entrySet().stream()
                        .filter(e -> voterSet.contains(e.getKey()) && e.getValue().equals("OK")).count();
                if (committed * 2 > voterSet.size()) {
                    log.info("claim {}: granted to {} (generation {}, {} of {} known hosts agreed)",
                            key, local, generation, committed, voterSet.size());
                    return new ClaimResult(ClaimResult.Status.GRANTED, c, key + " granted to " + local);
                }
                broadcast("RELEASE", c.encode(), targets, false);
                log.warn("claim {}: accepted but commit reached only {} of {} known hosts; released", key,
                        committed, voterSet.size());
                return new ClaimResult(ClaimResult.Status.CONTENDED, null, "claim of " + key + " could not be committed");
            }
            broadcast("RETRACT", c.encode(), targets, false);
            if (heldBy != null) {
                return new ClaimResult(ClaimResult.Status.HELD, heldBy, key + " is held by " + heldBy.holder());
            }
            if (stale >= 0) {
                generation = stale + 1;
                continue;
            }
            return new ClaimResult(ClaimResult.Status.CONTENDED, null, "claim of " + key + " got " + ok + " of "
                    + voterSet.size() + " votes (competing claims or unreachable hosts)");
        }
        return new ClaimResult(ClaimResult.Status.CONTENDED, null, "claim of " + key + " kept meeting newer generations");
    }

    /** Sends to every target (self included if listed); with {@code await}, waits for replies keyed by member name. */
    private Map<String, String> broadcast(String op, String payload, Collection<Member> targets, boolean await) {
        Map<String, String> out = new HashMap<>();
        if (targets.isEmpty() || closed) {
            return out;
        }
        Map<Member, Future<String>> futures;
        try {
            IExecutorService exec = hz.getExecutorService(EXECUTOR);
            futures = exec.submitToMembers(new ClaimTask(op, payload), targets);
        } catch (RuntimeException e) {
            log.debug("claims: could not send {} ({})", op, e.toString());
            return out;
        }
        if (!await) {
            return out;
        }
        long deadline = System.nanoTime() + config.claimTimeout().toNanos();
        for (Map.Entry<Member, Future<String>> f : futures.entrySet()) {
            String name = f.getKey().getAttribute(Mesh.NAME_ATTRIBUTE);
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                out.put(name, f.getValue().get(left, TimeUnit.NANOSECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                log.debug("claims: {} to {} got no answer ({})", op, name, e.toString());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ voter

    /** Runs a message from a member (or this one). */
    String handle(String op, String payload) {
        if (closed) {
            return "NOTREADY";
        }
        if (op.equals("SYNC")) {
            sync(payload);
            return "OK";
        }
        if (op.equals("PULL")) {
            return syncPayload();
        }
        Claim c = Claim.decode(payload);
        synchronized (this) {
            Slot s = table.get(c.key());
            switch (op) {
                case "ACCEPT" -> {
                    if (s == null || (s.claim.released() && c.generation() > s.claim.generation())
                            || (!s.committed && expired(s))) {
                        table.put(c.key(), new Slot(c, false, System.nanoTime(), s == null ? null : s.committed ? s.claim : s.previous));
                        return "OK";
                    }
                    if (s.claim.sameGrant(c)) {
                        return "OK";
                    }
                    if (s.claim.released()) {
                        return "STALE\t" + s.claim.encode();
                    }
                    return "HELD\t" + s.claim.encode() + "\n" + (s.committed ? "committed" : "pending");
                }
                case "COMMIT" -> {
                    if ((s != null && s.claim.sameGrant(c))
                            || s == null || (s.claim.released() && c.generation() > s.claim.generation())) {
                        table.put(c.key(), new Slot(c, true, System.nanoTime(), null));
                        changed();
                        fire(l -> l.granted(c));
                        return "OK";
                    }
                    return "FAIL";
                }
                case "RETRACT" -> {
                    if (s != null && !s.committed && s.claim.sameGrant(c)) {
                        if (s.previous == null) {
                            table.remove(c.key());
                        } else {
                            table.put(c.key(), new Slot(s.previous, true, s.since, null));
                        }
                    }
                    return "OK";
                }
                case "RELEASE" -> {
                    if (s != null && s.claim.sameGrant(c)) {
                        Claim tomb = new Claim(c.key(), null, c.generation(), System.currentTimeMillis());
                        table.put(c.key(), new Slot(tomb, true, System.nanoTime(), null));
                        if (s.committed) {
                            changed();
                            fire(l -> l.released(s.claim));
                        }
                    }
                    return "OK";
                }
                default -> {
                    return "UNKNOWN";
                }
            }
        }
    }

    private boolean expired(Slot s) {
        return System.nanoTime() - s.since > config.claimTimeout().toNanos() * 4;
    }

    /** Applies another member's committed claims and known hosts, keeping the winner of each key. */
    private void sync(String payload) {
        boolean hostsChanged = false;
        synchronized (this) {
            boolean claimsChanged = false;
            for (String line : payload.split("\n")) {
                if (line.startsWith("C\t")) {
                    claimsChanged |= assertCommitted(Claim.decode(line.substring(2)));
                } else if (line.startsWith("H\t")) {
                    String[] f = line.split("\t");
                    long v = Long.parseLong(f[2]);
                    Long mine = voters.get(f[1]);
                    if (mine == null || Math.abs(v) > Math.abs(mine) || (Math.abs(v) == Math.abs(mine) && v < 0 && mine > 0)) {
                        voters.put(f[1], v);
                        hostsChanged = true;
                    }
                }
            }
            if (claimsChanged) {
                changed();
            }
            if (hostsChanged) {
                memory.knownHostsChanged(Map.copyOf(voters));
            }
        }
    }

    /** Called with the lock held. */
    private boolean assertCommitted(Claim c) {
        Slot s = table.get(c.key());
        if (s != null && s.claim.sameGrant(c) && s.claim.released() == c.released()) {
            if (!s.committed) {
                table.put(c.key(), new Slot(c, true, System.nanoTime(), null));
                if (!c.released()) {
                    fire(l -> l.granted(c));
                }
                return true;
            }
            return false;
        }
        if (s != null && Claim.winner(s.claim, c) == s.claim) {
            return false;
        }
        table.put(c.key(), new Slot(c, true, System.nanoTime(), null));
        if (s != null && s.committed && !s.claim.released()) {
            Claim old = s.claim;
            if (local.equals(old.holder()) && !local.equals(c.holder())) {
                log.warn("claim {}: this host's claim (generation {}) lost to {}", c.key(), old.generation(),
                        c.released() ? "its release/reclaim while this host was away" : c.holder() + " (generation " + c.generation() + ")");
                fire(l -> l.lost(old, c));
            } else if (c.released()) {
                fire(l -> l.released(old));
            }
        }
        if (!c.released()) {
            fire(l -> l.granted(c));
        }
        return true;
    }

    // ------------------------------------------------------------------ housekeeping (mesh threads)

    /** Once a second: known hosts, absences, reclaim after grace, fencing, stale votes. */
    void tick() {
        if (closed) {
            return;
        }
        List<String> present = presentNames();
        long now = System.nanoTime();
        List<Claim> reclaimed = new ArrayList<>();
        boolean hostsChanged = false;
        Boolean fence = null;
        synchronized (this) {
            if (knownHosts().isEmpty() && (config.peers().isEmpty() || present.size() > 1)
                    && !present.isEmpty() && present.get(0).equals(local)) {
                for (String p : present) {
                    voters.put(p, nextVersion());
                }
                hostsChanged = true;
                log.info("mesh: first start, known hosts are {}", present);
            }
            boolean quorum = quorum(present);
            if (quorum) {
                for (String p : present) {
                    Long v = voters.get(p);
                    if (v == null || v < 0) {
                        voters.put(p, nextVersion());
                        hostsChanged = true;
                        log.info("mesh: host {} is now a known host (voter)", p);
                    }
                }
            }
            for (Map.Entry<String, Long> v : voters.entrySet()) {
                if (v.getValue() > 0 && !present.contains(v.getKey())) {
                    absentSince.putIfAbsent(v.getKey(), now);
                } else {
                    absentSince.remove(v.getKey());
                }
            }
            if (quorum) {
                for (Map.Entry<String, Long> a : new HashMap<>(absentSince).entrySet()) {
                    if (now - a.getValue() >= config.reclaimGrace().toNanos()) {
                        String gone = a.getKey();
                        voters.put(gone, -nextVersion());
                        absentSince.remove(gone);
                        hostsChanged = true;
                        for (Slot s : List.copyOf(table.values())) {
                            if (s.committed && gone.equals(s.claim.holder())) {
                                Claim tomb = new Claim(s.claim.key(), null, s.claim.generation(), System.currentTimeMillis());
                                table.put(tomb.key(), new Slot(tomb, true, now, null));
                                reclaimed.add(s.claim);
                            }
                        }
                        log.info("mesh: host {} gone for longer than the grace period {}; forgotten, {} claim(s) reclaimed",
                                gone, config.reclaimGrace(), reclaimed.size());
                    }
                }
            }
            if (quorum) {
                quorumLostAt = -1;
                if (fenced) {
                    fenced = false;
                    fence = false;
                }
            } else {
                if (quorumLostAt < 0) {
                    quorumLostAt = now;
                }
                if (!fenced && now - quorumLostAt >= config.reclaimGrace().toNanos() / 2) {
                    fenced = true;
                    fence = true;
                }
            }
            table.entrySet().removeIf(e -> {
                Slot s = e.getValue();
                if (!s.committed && expired(s)) {
                    if (s.previous != null) {
                        e.setValue(new Slot(s.previous, true, s.since, null));
                        return false;
                    }
                    return true;
                }
                return false;
            });
            if (hostsChanged) {
                memory.knownHostsChanged(Map.copyOf(voters));
            }
            if (!reclaimed.isEmpty()) {
                changed();
            }
        }
        for (Claim c : reclaimed) {
            fire(l -> l.released(c));
        }
        if (fence != null) {
            boolean f = fence;
            if (f) {
                log.warn("mesh: {} has been without a majority for half the grace period; its claims are fenced", local);
            } else {
                log.info("mesh: {} is back in a majority; claims usable again", local);
            }
            fire(l -> l.fenced(f));
        }
        if (!reclaimed.isEmpty() || hostsChanged) {
            sync();
        }
    }

    /** Sends this member's committed claims and known hosts to every other member (anti-entropy). */
    void sync() {
        if (closed) {
            return;
        }
        broadcast("SYNC", syncPayload(), otherMembers(), false);
    }

    /** Asks every other member for its claims and known hosts and applies them (after start and merge). */
    void pull() {
        if (closed) {
            return;
        }
        for (String reply : broadcast("PULL", "", otherMembers(), true).values()) {
            if (!reply.equals("NOTREADY")) {
                sync(reply);
            }
        }
    }

    private synchronized String syncPayload() {
        StringBuilder sb = new StringBuilder();
        for (Slot s : table.values()) {
            if (s.committed) {
                sb.append("C\t").append(s.claim.encode()).append('\n');
            }
        }
        voters.forEach((n, v) -> sb.append("H\t").append(n).append('\t').append(v).append('\n'));
        return sb.toString();
    }

    // ------------------------------------------------------------------ helpers

    private synchronized boolean quorum(List<String> present) {
        long known = voters.values().stream().filter(v -> v > 0).count();
        if (known == 0) {
            return false;
        }
        long here = voters.entrySet().stream().filter(e -> e.getValue() > 0 && present.contains(e.getKey())).count();
        return here * 2 > known;
    }

    private long nextVersion() {
        long max = 0;
        for (long v : voters.values()) {
            max = Math.max(max, Math.abs(v));
        }
        return max + 1;
    }

    private List<String> presentNames() {
        List<String> out = new ArrayList<>();
        for (Member m : members.get()) {
            String n = m.getAttribute(Mesh.NAME_ATTRIBUTE);
            if (n != null) {
                out.add(n);
            }
        }
        return out;
    }

    private List<Member> otherMembers() {
        return members.get().stream().filter(m -> !m.localMember()).toList();
    }

    private void changed() {
        List<Claim> committed = new ArrayList<>();
        for (Slot s : table.values()) {
            if (s.committed) {
                committed.add(s.claim);
            }
        }
        memory.claimsChanged(committed);
    }

    private void fire(java.util.function.Consumer<ClaimListener> event) {
        events.execute(() -> {
            for (ClaimListener l : listeners) {
                try {
                    event.accept(l);
                } catch (RuntimeException e) {
                    log.warn("claims: listener failed", e);
                }
            }
        });
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty() || key.contains("\t") || key.contains("\n")) {
            throw new IllegalArgumentException("invalid claim key \"" + key + "\"");
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
