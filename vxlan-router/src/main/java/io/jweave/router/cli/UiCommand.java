package io.jweave.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jweave ui}: where the topology page of this host's router is, and how to reach it from elsewhere. */
@Command(name = "ui", description = {
        "Print the address of the topology page (hosts, links, networks, containers, live).",
        "%nThe router serves the page on its HTTP listener (--http-addr of jweave launch, default 127.0.0.1:6784): "
                + "loopback only and without authentication. From another machine, forward the port over ssh "
                + "(the command is printed) and open the page there."})
public final class UiCommand implements Callable<Integer> {

    @Mixin
    RouterClient router;

    @Option(names = "--url", description = "Print only the page's URL.")
    boolean urlOnly;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        JsonNode config = router.getJson("/report").path("config");
        spec.commandLine().getOut().print(render(config, urlOnly));
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The text for the router's configuration ({@code config} of {@code GET /report}). */
    static String render(JsonNode config, boolean urlOnly) {
        String http = RouterClient.text(config, "httpAddr", null);
        String name = RouterClient.text(config, "name", "the router");
        if (http == null || http.isBlank()) {
            throw new IllegalStateException("router " + name + " has no HTTP listener, so it serves no topology page;"
                    + " relaunch it with --http-addr 127.0.0.1:6784 (jweave stop, then jweave launch --http-addr ...)");
        }
        int colon = http.lastIndexOf(':');
        String host = http.substring(0, colon);
        String port = http.substring(colon + 1);
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        String url = "http://" + h + ":" + port + "/";
        if (urlOnly) {
            return url + "\n";
        }
        String adv = RouterClient.text(config, "advertiseAddr", "THIS-HOST");
        return "topology page of router " + name + ":\n"
                + "  " + url + "\n"
                + "\n"
                + "The listener (" + h + ":" + port + ") is loopback only and has no authentication: anyone with a shell\n"
                + "on this host can read it. From another machine, forward it over ssh:\n"
                + "  ssh -L " + port + ":" + h + ":" + port + " root@" + adv + "\n"
                + "then open http://127.0.0.1:" + port + "/ there (keep the ssh session open).\n";
    }
}
