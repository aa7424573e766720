package io.jweave.router.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code jweave} command-line tool. */
@Command(name = "jweave", mixinStandardHelpOptions = true,
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = VersionCommand.Provider.class,
        description = "Overlay network for Docker: VXLAN between hosts, state shared by a Hazelcast mesh.",
        subcommands = {LaunchCommand.class, StopCommand.class, CdsArchiveCommand.class, ImageCommand.class, StatusCommand.class, VersionCommand.class, SelfCheckCommand.class,
                PeersCommand.class,
                CaptureCommand.class,
                ConnectCommand.class,
                ForgetCommand.class,
                PsCommand.class,
                ReportCommand.class,
                UiCommand.class,
                DnsArgsCommand.class, DnsAddCommand.class, DnsRemoveCommand.class, DnsLookupCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; user errors print one line, not a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // Only on the top-level help (an annotation footer would be inherited by every subcommand).
        cl.getCommandSpec().usageMessage().footer("%nAlso, through ./jweave in a source checkout (on simulated hosts):",
                "  demo          Three simulated Docker hosts, one network, pings.",
                "  bench [NAME]  The benchmarks of docs/benchmarks.md.");
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("jweave " + cmd.getCommandName() + ": " + ex.getMessage());
            return 1;
        });
        return cl;
    }
}
