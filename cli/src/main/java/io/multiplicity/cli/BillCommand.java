package io.multiplicity.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.ZoneOffset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bill", description = {"The tenant's bill for a calendar month (UTC): a table or --output json|yaml, "
        + "or the CSV and FinOps FOCUS 1.1 exports (--format csv|focus) as the panel writes them.",
        "Platform admins: --all-tenants for every tenant's."})
public class BillCommand extends PanelCommand {

    /** What the panel exports. */
    enum Format { json, csv, focus }

    @Option(names = "--period", paramLabel = "YYYY-MM", description = "The month (default: last month).") String period;
    @Option(names = "--format", defaultValue = "json", description = "json (default: printed as --output says), csv or focus.") Format format;
    @Option(names = "--file", paramLabel = "FILE", description = "Write the export to FILE instead of standard output.") Path file;
    @Option(names = "--all-tenants", description = "Every tenant's bill (platform admins).") boolean allTenants;

    @Override
    protected void run() throws Exception {
        String month = period != null ? period : YearMonth.now(ZoneOffset.UTC).minusMonths(1).toString();
        String path = PanelClient.API + (allTenants ? "/admin/billing" : "/billing") + "?period=" + PanelClient.encode(month)
                + "&format=" + format;
        PanelClient api = api();
        PanelClient.Answer answer = api.getText(path);
        if (file != null) {
            Files.writeString(file, answer.body(), StandardCharsets.UTF_8);
            root().err().println("wrote the " + format + " bill of " + month + " to " + file);
        } else if (format != Format.json) {
            root().out().print(answer.body());
            root().out().flush();
        } else if (allTenants) {
            printer().raw(api.parse(answer));
        } else {
            Reports.print(printer(), api.parse(answer));
        }
    }
}
