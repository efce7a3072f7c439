package io.multiplicity.cli;

import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "operations", aliases = "operation", description = "The tenant's operations (every change is one).",
        subcommands = {OperationsCommand.ListOperations.class, OperationsCommand.Show.class, OperationsCommand.Wait.class})
public class OperationsCommand {

    @Command(name = "list", aliases = "ls", description = "Operations, newest first.")
    static class ListOperations extends PanelCommand {
        @Option(names = "--instance", description = "Only those on this instance (name or id).") String instance;

        @Override
        protected void run() {
            PanelClient api = api();
            String query = instance == null ? "" : "?target=" + Names.instance(api, instance);
            printer().list(api.list(PanelClient.API + "/operations" + query), List.of(new Printer.Column("ID", "id"),
                    new Printer.Column("KIND", "kind"), new Printer.Column("STATE", "state"),
                    new Printer.Column("PROGRESS", "progress"), new Printer.Column("TARGET", "target"),
                    new Printer.Column("BY", "requestedBy"), new Printer.Column("CREATED", "createdAt"),
                    new Printer.Column("ERROR", "error")));
        }
    }

    @Command(name = "show", description = "One operation.")
    static class Show extends PanelCommand {
        @Parameters(paramLabel = "ID") String id;

        @Override
        protected void run() {
            printer().object(api().get(PanelClient.path("/operations", id)));
        }
    }

    @Command(name = "wait", description = "Follow an operation to its end (exit status 5 when it failed).")
    static class Wait extends PanelCommand {
        @Parameters(paramLabel = "ID") String id;
        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600") long timeoutSeconds;

        @Override
        protected void run() {
            PanelClient api = api();
            InstancesCommand.printOperation(printer(), Operations.follow(api, api.get(PanelClient.path("/operations", id)),
                    progress(), Duration.ofSeconds(timeoutSeconds)));
        }
    }
}
