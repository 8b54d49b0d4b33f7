package llm4j.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

import llm4j.loader.ModelFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code llm4j} command: parses flags, dispatches to one subcommand, maps failures to exit codes. */
@Command(name = "llm4j",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Run large language models on the CPU, in pure Java.",
        footer = {"", "Exit codes: 0 success, 1 runtime failure (bad model file, full context, I/O), 2 usage error.",
                "Run 'llm4j COMMAND --help' for a command's options and an example."})
public final class Llm4j implements Callable<Integer> {

    /**
     * The subcommands, in help order. Registered in code rather than in {@code @Command(subcommands)} so that a launch
     * builds only the one it runs: picocli reflects over every option of every registered command up front, and the
     * whole tree cost ~0.25 s of a ~1 s launch-to-first-token (docs/bench.md, "Startup").
     */
    private static final List<Class<?>> SUBCOMMANDS = List.of(RunCommand.class, ChatCommand.class, InspectCommand.class,
            QuantizeCommand.class, ConvertCommand.class, PerplexityCommand.class, SynthCommand.class, BenchCommand.class,
            ServeCommand.class, TokenizeCommand.class, CommandLine.HelpCommand.class);

    /** Exit code for a failure while running (bad model file, I/O, context full). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for invalid flags or arguments. */
    public static final int EXIT_USAGE = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces for errors.")
    boolean debug;

    @Spec
    CommandSpec spec;

    /** No command given: the usage with every command (a launch without one registers them all). */
    @Override
    public Integer call() {
        CommandLine cli = spec.commandLine();
        cli.usage(cli.getOut());
        return 0;
    }

    public static void main(String[] args) {
        CommandLine cli = commandLine(args);
        cli.setOut(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), true));
        cli.setErr(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8), true));
        int code;
        try {
            code = cli.execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("llm4j: out of memory: " + e.getMessage() + " (a smaller -c or model may fit)");
            code = EXIT_FAILURE;
        }
        System.exit(code);
    }

    /** Runs the command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        CommandLine cli = commandLine(args);
        return cli.execute(args);
    }

    /** The command line with every subcommand (help, suggestions for a mistyped command). */
    static CommandLine commandLine() {
        return commandLine(SUBCOMMANDS);
    }

    /** The command line for {@code args}: only the subcommand they name when they name one, else all of them. */
    static CommandLine commandLine(String[] args) {
        String first = Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse("");
        for (Class<?> c : SUBCOMMANDS) {
            if (c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(first)) {
                return commandLine(List.of(c));
            }
        }
        return commandLine();
    }

    private static CommandLine commandLine(List<Class<?>> subcommands) {
        Llm4j root = new Llm4j();
        CommandLine cli = new CommandLine(root);
        subcommands.forEach(cli::addSubcommand);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setDefaultValueProvider(new ConfigDefaults(UserConfig.configFile()));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> reportFailure(e, commandLine, root.debug));
        cli.setParameterExceptionHandler(Llm4j::reportUsageError);
        return cli;
    }

    private static int reportFailure(Exception e, CommandLine cmd, boolean debug) {
        PrintWriter err = cmd.getErr();
        if (debug) {
            e.printStackTrace(err);
        }
        switch (e) {
            case ModelFormatException m -> err.println("llm4j: " + m.getMessage());
            case CliException c -> {
                err.println("llm4j: " + c.getMessage());
                err.flush();
                return c.exitCode();
            }
            default -> err.println("llm4j: internal error: " + e + (debug ? "" : " (run with --debug for details)"));
        }
        err.flush();
        return EXIT_FAILURE;
    }

    /** picocli's suggestions, or when it has none the closest option or command within two edits. */
    private static void suggest(CommandLine.ParameterException e, PrintWriter err) {
        if (!(e instanceof CommandLine.UnmatchedArgumentException u)) {
            return;
        }
        if (!u.getSuggestions().isEmpty()) {
            CommandLine.UnmatchedArgumentException.printSuggestions(u, err);
            return;
        }
        CommandLine cmd = e.getCommandLine();
        java.util.List<String> names = new java.util.ArrayList<>(cmd.getSubcommands().keySet());
        cmd.getCommandSpec().options().forEach(o -> names.addAll(java.util.List.of(o.names())));
        for (String arg : u.getUnmatched()) {
            String best = Suggest.closest(arg, names);
            if (best != null) {
                err.println("Did you mean: " + best + "?");
                return;
            }
        }
    }

    private static int reportUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("llm4j: " + e.getMessage());
        suggest(e, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return EXIT_USAGE;
    }
}
