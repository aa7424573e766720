package io.jweave.router.cli;

import io.jweave.capture.Pcap;
import io.jweave.router.RouterCapture;
import io.jweave.router.status.StatusClient;
import io.jweave.router.status.UnixHttp;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jweave capture NETWORK [-c COUNT] [-w FILE] [--peer NAME]}: a network's frames on this host, as pcap. */
@Command(name = "capture", description = {
        "Capture the frames of a network on this host, as pcap (for tcpdump or Wireshark).",
        "%nThe router captures on the network's bridge inside the network's own namespace, where its local "
                + "containers and the VXLAN device to the other hosts meet: every frame between a container here and "
                + "any other container of the network (here or on another host) crosses it. The frames go to FILE, "
                + "or to standard output:%n"
                + "  jweave capture blue | tcpdump -n -r -%n"
                + "  jweave capture blue -c 100 -w blue.pcap%n"
                + "It stops after COUNT frames, or on Ctrl-C; FILE then holds every whole frame received."})
public final class CaptureCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Parameters(index = "0", paramLabel = "NETWORK", description = "The network (its Docker name, as 'jweave status' lists it).")
    String network;

    @Option(names = {"-c", "--count"}, paramLabel = "COUNT", description = "Stop after COUNT frames.")
    Long count;

    @Option(names = {"-w", "--write"}, paramLabel = "FILE",
            description = "Write the pcap to FILE (replaced if it exists) instead of standard output ('-').")
    String file;

    @Option(names = "--peer", paramLabel = "NAME",
            description = "Only frames to or from the endpoints of router NAME (as 'jweave peers' shows it) on the network.")
    String peer;

    private volatile boolean interrupted;

    @Override
    public Integer call() throws IOException {
        if (count != null && count < 1) {
            throw new IllegalArgumentException("-c COUNT must be at least 1, not " + count);
        }
        boolean toStdout = file == null || file.equals("-");
        if (toStdout && System.console() != null) {
            throw new IllegalArgumentException("standard output is a terminal: write to a file with -w FILE, or pipe into"
                    + " tcpdump -r -");
        }
        StringBuilder path = new StringBuilder("/capture?network=").append(enc(network));
        if (count != null) {
            path.append("&count=").append(count);
        }
        if (peer != null) {
            path.append("&peer=").append(enc(peer));
        }
        PrintStream err = System.err;
        CountDownLatch finished = new CountDownLatch(1);
        try (UnixHttp.Streamed resp = StatusClient.stream(router.dataDir(), path.toString())) {
            // Ctrl-C: close the connection (the router stops capturing), let the copy below end on the
            // failed read and close the file with whole records only, then let the JVM exit.
            Thread onSigint = new Thread(() -> {
                interrupted = true;
                resp.close();
                try {
                    finished.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "jweave-capture-stop");
            Runtime.getRuntime().addShutdownHook(onSigint);
            long frames = 0;
            String failure = null;
            OutputStream out = toStdout ? new FileOutputStream(FileDescriptor.out) : Files.newOutputStream(Path.of(file));
            try {
                String info = resp.header(RouterCapture.INFO_HEADER);
                err.println("jweave capture: capturing " + (info == null ? "network " + network : info)
                        + (count == null ? "" : ", " + count + " frames") + "; Ctrl-C to stop");
                Pcap.Reader in = new Pcap.Reader(resp.body());
                boolean readerGone = false;
                boolean headerWritten = false;
                try {
                    byte[] next = in.header().raw();
                    while (next != null) {
                        try {
                            out.write(next); // whole records only: a file cut by Ctrl-C stays readable
                            out.flush();
                        } catch (IOException e) {
                            if (!toStdout) {
                                throw new IllegalStateException("cannot write " + file + ": " + e.getMessage());
                            }
                            readerGone = true; // the reader of the pipe is gone (| head, tcpdump -c): stop quietly
                            break;
                        }
                        if (headerWritten) {
                            frames++;
                        }
                        headerWritten = true;
                        Pcap.Record r = in.next();
                        next = r == null ? null : r.raw();
                    }
                } catch (IOException e) {
                    if (!interrupted) {
                        failure = e.getMessage();
                    }
                }
                if (!toStdout) {
                    out.close();
                }
                if (readerGone) {
                    return 0;
                }
                err.println("jweave capture: " + frames + " frame" + (frames == 1 ? "" : "s")
                        + (toStdout ? "" : " written to " + file) + (interrupted ? " (stopped)" : ""));
            } finally {
                if (!toStdout) {
                    out.close();
                }
                finished.countDown();
                if (!interrupted) {
                    try {
                        Runtime.getRuntime().removeShutdownHook(onSigint);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook runs or ran
                    }
                }
            }
            if (failure != null) {
                throw new IllegalStateException("the capture ended early: " + failure);
            }
            return 0;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
