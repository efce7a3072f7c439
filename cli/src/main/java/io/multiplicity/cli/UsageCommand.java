package io.multiplicity.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "usage", description = "The tenant's usage and cost per instance and resource over a range (default: the last 30 days).")
public class UsageCommand extends PanelCommand {

    @Option(names = "--from", description = "An ISO-8601 instant or a date (its start, UTC).") String from;
    @Option(names = "--to", description = "An ISO-8601 instant or a date (excluded).") String to;

    @Override
    protected void run() {
        StringBuilder query = new StringBuilder();
        if (from != null) query.append(query.isEmpty() ? "?" : "&").append("from=").append(PanelClient.encode(from));
        if (to != null) query.append(query.isEmpty() ? "?" : "&").append("to=").append(PanelClient.encode(to));
        Reports.print(printer(), api().get(PanelClient.API + "/usage" + query));
    }
}
