package io.multiplicity.accounting;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * Tenants' reports as CSV: plain line items, or the columns of the FinOps FOCUS specification
 * (1.x), one header and then every report's lines in order. Every format carries the same lines,
 * so their costs sum to the same total.
 */
public final class BillingExports {

    public static final List<String> CSV_COLUMNS = List.of("tenant_id", "tenant", "period_start", "period_end",
            "instance_id", "instance_name", "kind", "resource", "description", "quantity", "unit", "unit_price", "cost",
            "currency", "charge_start", "charge_end");

    public static final List<String> FOCUS_COLUMNS = List.of("BillingAccountId", "BillingAccountName",
            "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "BilledCost",
            "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency", "ConsumedQuantity", "ConsumedUnit",
            "PricingQuantity", "PricingUnit", "ListUnitPrice", "ContractedUnitPrice", "ResourceId", "ResourceName",
            "ResourceType", "ServiceName", "ServiceCategory", "ProviderName", "PublisherName", "InvoiceIssuerName",
            "SubAccountId", "SubAccountName", "ChargeCategory", "ChargeFrequency", "ChargeDescription", "SkuId",
            "SkuPriceId", "RegionId", "RegionName");

    private static final String PROVIDER = "Multiplicity";

    private BillingExports() {
    }

    /** The reports' line items; the reports must carry their lines. */
    public static String csv(List<BillingReport> reports) {
        StringBuilder out = new StringBuilder(256 + lineCount(reports) * 200);
        row(out, CSV_COLUMNS.toArray());
        for (BillingReport report : reports) {
            for (BillingReport.LineItem line : report.lines()) {
                row(out, report.tenantId(), report.tenant(), report.from(), report.to(), line.instanceId(),
                        line.instanceName(), line.kind(), line.resource(), line.description(), line.quantity(),
                        line.unit(), line.unitPrice(), line.cost(), report.currency(), line.chargeStart(),
                        line.chargeEnd());
            }
        }
        return out.toString();
    }

    /** The reports' line items in FOCUS columns; the reports must carry their lines. */
    public static String focus(List<BillingReport> reports) {
        StringBuilder out = new StringBuilder(512 + lineCount(reports) * 400);
        row(out, FOCUS_COLUMNS.toArray());
        for (BillingReport report : reports) {
            focusRows(out, report);
        }
        return out.toString();
    }

    private static void focusRows(StringBuilder out, BillingReport report) {
        for (BillingReport.LineItem line : report.lines()) {
            String unit = focusUnit(line.unit());
            boolean compute = line.resource().equals("vcpu") || line.resource().equals("memory")
                    || line.resource().equals("image");
            boolean network = line.resource().equals("address") || line.resource().equals("egress");
            boolean vm = "vm".equals(line.kind());
            String sku = (line.kind() == null ? "instance" : line.kind()) + "-" + line.resource();
            row(out, report.tenantId(), report.tenant(), report.from(), report.to(), line.chargeStart(),
                    line.chargeEnd(), line.cost(), line.cost(), line.cost(), line.cost(), report.currency(),
                    line.quantity(), unit, line.quantity(), unit, line.unitPrice(), line.unitPrice(), line.instanceId(),
                    line.instanceName(), vm ? "Virtual Machine" : "Jail",
                    vm ? "Multiplicity Virtual Machines" : "Multiplicity Jails", compute ? "Compute" : network ? "Networking" : "Storage",
                    PROVIDER, PROVIDER, PROVIDER, report.tenantId(), report.tenant(), "Usage", "Usage-Based",
                    line.description(), sku, sku + "-" + report.plan(), "local", "local");
        }
    }

    private static int lineCount(List<BillingReport> reports) {
        return reports.stream().mapToInt(report -> report.lines().size()).sum();
    }

    private static String focusUnit(String unit) {
        return switch (unit) {
            case "vCPU-hour" -> "vCPU-Hours";
            case "GiB-hour" -> "GiB-Hours";
            case "GiB-month" -> "GiB-Months";
            case "instance-hour", "address-hour" -> "Hours";
            default -> unit;
        };
    }

    private static void row(StringBuilder out, Object... values) {
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(field(values[i]));
        }
        out.append("\r\n");
    }

    private static String field(Object value) {
        if (value == null) {
            return "";
        }
        String text = switch (value) {
            case BigDecimal number -> number.toPlainString();
            case Instant instant -> instant.toString();
            default -> value.toString();
        };
        if (text.indexOf(',') >= 0 || text.indexOf('"') >= 0 || text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            return '"' + text.replace("\"", "\"\"") + '"';
        }
        return text;
    }
}
