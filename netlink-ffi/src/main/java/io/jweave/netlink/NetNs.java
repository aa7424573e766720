package io.jweave.netlink;

import io.jweave.netlink.sys.Sys;
import io.jweave.netlink.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A network namespace held open by a file descriptor. Named namespaces live where {@code ip netns}
 * keeps them (a bind mount under {@code /run/netns}), so both tools see the same ones.
 *
 * <p>Code that must run inside a namespace runs on a fresh thread that enters it and then dies
 * ({@link #call}); no pooled thread is ever left in the wrong namespace. Netlink sockets keep the
 * namespace they were opened in, so a {@link Handle} opened through {@code call} works from any thread.
 */
public final class NetNs implements AutoCloseable {
    public static final Path NETNS_RUN_DIR = Path.of("/run/netns");

    private final String path;
    private volatile int fd;

    private NetNs(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens the namespace at {@code path} (a named namespace file or {@code /proc/PID/ns/net}). */
    public static NetNs open(String path) {
        int fd = Sys.libc().open(path, Sys.O_RDONLY | Sys.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new NetlinkException("open network namespace " + path, Sys.errno(), null);
        }
        return new NetNs(path, fd);
    }

    /** Opens the named namespace {@code /run/netns/NAME}. */
    public static NetNs openNamed(String name) {
        return open(namedPath(name).toString());
    }

    /** The namespace of the calling thread. */
    public static NetNs current() {
        return open("/proc/thread-self/ns/net");
    }

    public static Path namedPath(String name) {
        if (name == null || name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("invalid network namespace name \"" + name + "\"");
        }
        return NETNS_RUN_DIR.resolve(name);
    }

    /**
     * Creates a new named namespace, as {@code ip netns add NAME} does: an empty file under
     * /run/netns (a shared mount point) with the new namespace bind-mounted on it.
     */
    public static NetNs create(String name) {
        Path p = namedPath(name);
        String op = "create network namespace \"" + name + "\"";
        prepareRunDir(op);
        return create(p, op);
    }

    /**
     * Creates a new namespace bind-mounted on the file {@code p} (created here; its directory must
     * exist). The namespace lives as long as that mount, in the caller's mount namespace.
     */
    public static NetNs create(Path p) {
        return create(p, "create network namespace " + p);
    }

    private static NetNs create(Path p, String op) {
        int fd = Sys.libc().open(p.toString(), Sys.O_RDONLY | Sys.O_CREAT | Sys.O_EXCL | Sys.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new NetlinkException(op, Sys.errno(), null);
        }
        Sys.closeQuietly(fd);
        try {
            onFreshThread(() -> {
                Sys.check(Sys.libc().unshare(Sys.CLONE_NEWNET), "unshare(CLONE_NEWNET)");
                Sys.check(Sys.libc().mount("/proc/thread-self/ns/net", p.toString(), "none", Sys.MS_BIND, null),
                        "bind-mount the new namespace on " + p);
                return null;
            });
        } catch (SysException e) {
            deleteQuietly(p);
            throw NetlinkException.refused(op, e.errno(), e.getMessage());
        } catch (RuntimeException e) {
            deleteQuietly(p);
            throw e;
        }
        return open(p.toString());
    }

    /** Opens the namespace bind-mounted on {@code p}. */
    public static NetNs open(Path p) {
        return open(p.toString());
    }

    /** Removes a named namespace (unmount and unlink); the namespace dies when nothing holds it. */
    public static void delete(String name) {
        delete(namedPath(name), "delete network namespace \"" + name + "\"");
    }

    /** Unmounts and removes the namespace file {@code p}. */
    public static void delete(Path p) {
        delete(p, "delete network namespace " + p);
    }

    private static void delete(Path p, String op) {
        if (!Files.exists(p)) {
            throw new NetlinkException(op, io.jweave.netlink.sys.Errno.ENOENT, null);
        }
        Sys.libc().umount2(p.toString(), Sys.MNT_DETACH);
        try {
            Files.delete(p);
        } catch (IOException e) {
            throw NetlinkException.refused(op, io.jweave.netlink.sys.Errno.EBUSY, e.getMessage());
        }
    }

    public static boolean exists(String name) {
        return Files.exists(namedPath(name));
    }

    private static void prepareRunDir(String op) {
        try {
            Files.createDirectories(NETNS_RUN_DIR);
        } catch (IOException e) {
            throw NetlinkException.refused(op, io.jweave.netlink.sys.Errno.EPERM, "cannot create " + NETNS_RUN_DIR);
        }
        // Make /run/netns a shared mount point so the bind mounts propagate, as iproute2 does.
        String dir = NETNS_RUN_DIR.toString();
        if (Sys.libc().mount("", dir, "none", Sys.MS_SHARED | Sys.MS_REC, null) == 0) {
            return;
        }
        Sys.check(Sys.libc().mount(dir, dir, "none", Sys.MS_BIND | Sys.MS_REC, null), "bind-mount " + dir);
        Sys.check(Sys.libc().mount("", dir, "none", Sys.MS_SHARED | Sys.MS_REC, null), "make " + dir + " shared");
    }

    private static void deleteQuietly(Path p) {
        Sys.libc().umount2(p.toString(), Sys.MNT_DETACH);
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort on the failure path
        }
    }

    /** The open file descriptor; fails clearly if the namespace was closed. */
    public int fd() {
        int f = fd;
        if (f < 0) {
            throw NetlinkException.refused("use network namespace " + path, io.jweave.netlink.sys.Errno.EBADF,
                    "the namespace handle is closed");
        }
        return f;
    }

    public String path() {
        return path;
    }

    /** Whether {@link #close()} was called; a closed namespace cannot be entered or targeted. */
    public boolean isClosed() {
        return fd < 0;
    }

    /**
     * Runs {@code task} on a new thread that has entered this namespace; the thread ends afterwards.
     * Exceptions thrown by the task are rethrown as they are.
     */
    public <T> T call(Callable<T> task) {
        int f = fd();
        return onFreshThread(() -> {
            Sys.check(Sys.libc().setns(f, Sys.CLONE_NEWNET), "setns(" + path + ")");
            return task.call();
        });
    }

    public void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    private static <T> T onFreshThread(Callable<T> task) {
        FutureTask<T> ft = new FutureTask<>(task);
        Thread t = new Thread(ft, "netns-worker");
        t.setDaemon(true);
        t.start();
        try {
            T result = ft.get();
            t.join(); // when call() returns, no thread of ours is left inside the namespace
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a namespace worker", e);
        } catch (ExecutionException e) {
            joinQuietly(t);
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error er) {
                throw er;
            }
            throw new IllegalStateException(c.getMessage(), c);
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        int f = fd;
        if (f >= 0) {
            fd = -1;
            Sys.closeQuietly(f);
        }
    }

    @Override
    public String toString() {
        return path;
    }
}
