package io.multiplicity.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code multiplicity}: the command-line client of the panel. */
@Command(name = "multiplicity", mixinStandardHelpOptions = true, versionProvider = Multiplicity.Version.class,
        description = "The command-line client of a Multiplicity panel: instances, consoles, images, networking, "
                + "billing and API tokens.",
        subcommands = {LoginCommand.class, LogoutCommand.class, WhoamiCommand.class, InstancesCommand.class,
                ConsoleCommand.class, OperationsCommand.class, ImagesCommand.class, SshKeysCommand.class,
                AddressesCommand.class, ForwardsCommand.class, FirewallsCommand.class, UsageCommand.class,
                BillCommand.class, TokensCommand.class, CompletionCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
                "0:success",
                "1:the panel refused the request (its error code and message are printed)",
                "2:usage error (unknown command or option, missing or malformed argument)",
                "3:not found (or another tenant's: the panel does not tell them apart)",
                "4:not logged in, login expired or revoked, or the role does not allow it",
                "5:an operation followed with --wait failed or was cancelled",
                "6:the panel or the identity provider could not be reached"},
        footerHeading = "%nEnvironment:%n",
        footer = {"  MULTIPLICITY_URL         the panel (default: the one logged in to)",
                "  MULTIPLICITY_TOKEN       an API token (mpt_...) instead of the login",
                "  MULTIPLICITY_CONFIG_DIR  where the login is kept",
                "                           (default ~/.config/multiplicity)",
                "%nLeave a console with Ctrl-] then q."})
public class Multiplicity {

    @Option(names = "--url", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "The panel's URL (overrides MULTIPLICITY_URL and the stored one).")
    String url;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (default), json or yaml.")
    OutputFormat output;

    @Option(names = "--tenant", scope = ScopeType.INHERIT, paramLabel = "SLUG",
            description = "The tenant to act for, for a user of several tenants (the X-Tenant header).")
    String tenant;

    private final Map<String, String> environment;
    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;
    private final ObjectMapper json = JsonMapper.builder().addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();
    private Session session;

    public Multiplicity(Map<String, String> environment, InputStream in, PrintStream out, PrintStream err,
                        boolean terminal) {
        this.environment = environment;
        this.in = in;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.exit(run(args, System.getenv(), System.in, out, System.err, interactiveTerminal()));
    }

    /**
     * Whether standard input and output are a terminal. Java 22 and later give a console also when
     * they are redirected and say which with {@code Console.isTerminal()}; Java 21 gives none then.
     */
    static boolean interactiveTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /** Runs one command line; returns its exit status (see {@link ExitCodes}). */
    public static int run(String[] args, Map<String, String> environment, InputStream in, PrintStream out,
                          PrintStream err, boolean terminal) {
        Multiplicity root = new Multiplicity(environment, in, out, err, terminal);
        CommandLine commandLine = new CommandLine(root)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .setExecutionExceptionHandler((exception, line, parsed) -> {
                    root.progress().done();
                    if (exception instanceof ApiError error) {
                        err.println("error: " + error.getMessage() + " (" + error.code() + ", HTTP " + error.status() + ")");
                        if (error.details() != null && !error.details().isNull() && !error.details().isEmpty()) {
                            err.println("details: " + error.details());
                        }
                        return error.exitCode();
                    }
                    if (exception instanceof CliException failure) {
                        err.println("error: " + failure.getMessage());
                        return failure.exitCode();
                    }
                    throw exception;
                });
        return commandLine.execute(args);
    }

    Session session() {
        if (session == null) {
            session = new Session(environment, new ConfigStore(ConfigStore.defaultDirectory(environment), json), json,
                    url, tenant);
        }
        return session;
    }

    Printer printer() {
        return new Printer(output == null ? OutputFormat.table : output, out, json);
    }

    private Progress progress;

    Progress progress() {
        if (progress == null) {
            progress = new Progress(err, terminal);
        }
        return progress;
    }

    InputStream in() {
        return in;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    boolean terminal() {
        return terminal;
    }

    Map<String, String> environment() {
        return environment;
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Multiplicity.class.getPackage().getImplementationVersion();
            return new String[] {"multiplicity " + (version == null ? "(development build)" : version)};
        }
    }
}
