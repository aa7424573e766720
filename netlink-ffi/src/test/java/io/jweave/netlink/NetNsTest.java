package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.sys.Errno;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Named namespaces (compatible with {@code ip netns}) and running code inside them. */
class NetNsTest extends KernelTestBase {

    private static long myNs() {
        return Kernel.nsInodeOf("/proc/thread-self/ns/net");
    }

    /** Every thread of this JVM and the network namespace it is in. */
    private static List<String> threadsNotIn(long ns) throws IOException {
        List<String> wrong = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    long n = Kernel.nsInodeOf(t.resolve("ns/net").toString());
                    if (n != ns) {
                        wrong.add(t.getFileName() + " (" + Files.readString(t.resolve("comm")).trim() + ") in net:[" + n + "]");
                    }
                } catch (AssertionError | IOException gone) {
                    // the thread ended while we looked
                }
            }
        }
        return wrong;
    }

    @Test
    void createOpenDeleteAsIpNetnsSeesThem() {
        String name = Kernel.randomName("ns");
        k.adopt(name);
        try (NetNs ns = NetNs.create(name)) {
            assertTrue(Kernel.netnsList().contains(name), "ip netns list does not show " + name);
            assertTrue(NetNs.exists(name));
            assertEquals("/run/netns/" + name, ns.path());
            assertNotEquals(myNs(), Kernel.inode(ns.path()), "a new namespace is not the caller's");
            // ip netns exec works in it, and it starts with only lo
            assertEquals(List.of("lo"), linkNamesVia(name));
            try (NetNs again = NetNs.openNamed(name)) {
                assertEquals(Kernel.inode(ns.path()), Kernel.inode(again.path()));
            }
            var dup = assertThrows(NetlinkException.class, () -> NetNs.create(name));
            assertEquals(Errno.EEXIST, dup.errno());
            assertEquals("create network namespace \"" + name + "\": File exists (EEXIST)", dup.getMessage());
        }
        NetNs.delete(name);
        assertFalse(Kernel.netnsList().contains(name));
        assertFalse(NetNs.exists(name));
        var e = assertThrows(NetlinkException.class, () -> NetNs.openNamed(name));
        assertEquals(Errno.ENOENT, e.errno());
    }

    private static List<String> linkNamesVia(String nsName) {
        List<String> out = new ArrayList<>();
        Kernel.parse(Kernel.run(List.of("ip", "netns", "exec", nsName, "ip", "-j", "link", "show")).out())
                .forEach(l -> out.add(l.get("ifname").asText()));
        return out;
    }

    @Test
    void deletingAMissingNamespaceSaysSo() {
        String name = Kernel.randomName("gone");
        var e = assertThrows(NetlinkException.class, () -> NetNs.delete(name));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.isNotFound());
        assertEquals("delete network namespace \"" + name + "\": No such file or directory (ENOENT)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetNs.create("../etc"));
        assertThrows(IllegalArgumentException.class, () -> NetNs.create(""));
    }

    @Test
    void callRunsInsideAndLeavesNoThreadBehind() throws Exception {
        NetNs ns = k.newNs("call");
        long root = myNs();
        long target = Kernel.inode(ns.path());
        AtomicReference<Thread> worker = new AtomicReference<>();
        long seen = ns.call(() -> {
            worker.set(Thread.currentThread());
            return myNs();
        });
        assertEquals(target, seen, "call() did not run inside the namespace");
        assertEquals(root, myNs(), "the caller's thread changed namespace");
        assertNotSame(Thread.currentThread(), worker.get());
        worker.get().join(5000);
        assertFalse(worker.get().isAlive(), "the namespace worker thread is still alive");

        // Exceptions come back as they are.
        IllegalStateException boom = new IllegalStateException("boom");
        assertSame(boom, assertThrows(IllegalStateException.class, () -> ns.call(() -> {
            throw boom;
        })));

        // Many calls, including failing ones: afterwards every thread of the JVM is where it was.
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int n = i;
            try {
                ns.call(() -> {
                    workers.add(Thread.currentThread());
                    if (n % 7 == 0) {
                        throw new IllegalArgumentException("fails on purpose");
                    }
                    return null;
                });
            } catch (IllegalArgumentException expected) {
                // on purpose
            }
        }
        for (Thread t : workers) {
            t.join(5000);
        }
        // join() returns when the Java thread has finished; its OS thread is torn down a moment later
        // and is still listed in /proc/self/task until then. A thread really left in a namespace (a
        // pooled or leaked worker) stays there: wait for the exiting ones, then assert.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!threadsNotIn(root).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(List.of(), threadsNotIn(root), "threads left in another namespace");
    }

    private static void assertNotSame(Object a, Object b) {
        assertFalse(a == b, "expected different objects");
    }

    @Test
    void handleOpenedOnANamespaceActsThereFromAnyThread() {
        NetNs ns = k.newNs("hdl");
        Handle h = k.handle(ns);
        assertSame(ns, h.namespace());
        h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        assertNotNull(k.link(ns, "jbr0"));
        assertFalse(Kernel.rootLinks().contains(" jbr0 "), "the link was created in the root namespace");
        // from another thread, same namespace
        Thread t = new Thread(() -> h.links().add(new LinkSpec("jbr1", new LinkType.Bridge())));
        t.start();
        assertTrue(assertDoesNotHang(t));
        assertNotNull(k.link(ns, "jbr1"));
    }

    private static boolean assertDoesNotHang(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    @Test
    void closedNamespaceCannotBeEntered() {
        NetNs ns = k.newNs("cls");
        ns.close();
        assertTrue(ns.isClosed());
        var e = assertThrows(NetlinkException.class, () -> ns.call(() -> 1));
        assertEquals(Errno.EBADF, e.errno());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        var h = assertThrows(NetlinkException.class, () -> Handle.open(ns));
        assertEquals(Errno.EBADF, h.errno());
        assertNull(null);
    }
}
