package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** A usage or billing report for people: its heading, the line items, and the totals per resource. */
final class Reports {

    private Reports() {
    }

    static void print(Printer printer, JsonNode report) {
        if (printer.format() != OutputFormat.table) {
            printer.raw(report);
            return;
        }
        var out = printer.out();
        out.println(report.path("tenant").asText() + " (plan " + report.path("plan").asText() + "), "
                + (report.hasNonNull("period") ? "period " + report.get("period").asText() + ", " : "")
                + report.path("from").asText() + " to " + report.path("to").asText());
        out.println();
        printer.list(report.path("lines"), List.of(new Printer.Column("INSTANCE", "instanceName"),
                new Printer.Column("KIND", "kind"), new Printer.Column("RESOURCE", "resource"),
                new Printer.Column("QUANTITY", "quantity"), new Printer.Column("UNIT", "unit"),
                new Printer.Column("UNIT PRICE", "unitPrice"), new Printer.Column("COST", "cost")));
        out.println();
        ArrayNode totals = printer.json().createArrayNode();
        report.path("resources").fields().forEachRemaining(entry -> {
            ObjectNode row = totals.addObject().put("resource", entry.getKey());
            row.setAll((ObjectNode) entry.getValue());
        });
        printer.list(totals, List.of(new Printer.Column("RESOURCE", "resource"), new Printer.Column("QUANTITY", "quantity"),
                new Printer.Column("UNIT", "unit"), new Printer.Column("COST", "cost")));
        out.println();
        out.println("total " + report.path("total").asText() + " " + report.path("currency").asText()
                + ", amount due " + report.path("amountDue").asText() + " " + report.path("currency").asText());
    }
}
