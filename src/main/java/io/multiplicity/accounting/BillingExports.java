package io.multiplicity.accounting;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Tenants' reports as CSV: plain line items, or the columns of the FinOps FOCUS specification
 * ({@value FocusColumn#FOCUS_VERSION}, see {@link FocusColumn}), one header and then every
 * report's lines in order. Every format carries the same lines, so their costs sum to the same
 * total.
 */
@ApplicationScoped
public class BillingExports {

    public static final List<String> CSV_COLUMNS = List.of("tenant_id", "tenant", "period_start", "period_end",
            "instance_id", "instance_name", "kind", "resource", "description", "quantity", "unit", "unit_price", "cost",
            "currency", "charge_start", "charge_end");

    /** FOCUS date/time values: UTC, whole seconds, 'Z' (the specification's Date/Time Format). */
    static final DateTimeFormatter FOCUS_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private static final String PROVIDER = "Multiplicity";
    private static final String USAGE = "Usage";
    private static final String USAGE_BASED = "Usage-Based";

    @Inject
    ObjectMapper json;

    /**
     * What the price list says of a SKU price: the plan it belongs to and its unit price per pricing
     * unit, the FOCUS SkuPriceDetails (key-value, PascalCase keys).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SkuPriceDetails(@JsonProperty("Plan") String plan,
                                  @JsonProperty("ListUnitPrice") BigDecimal listUnitPrice,
                                  @JsonProperty("PricingCurrency") String currency,
                                  @JsonProperty("PricingUnit") String pricingUnit,
                                  @JsonProperty("Image") String image) {
    }

    /** How the panel's resources map to FOCUS services and SKU meters. */
    private record Service(String category, String subcategory, String meter) {
    }

    /** The reports' line items; the reports must carry their lines. */
    public String csv(List<BillingReport> reports) {
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
    public String focus(List<BillingReport> reports) {
        StringBuilder out = new StringBuilder(512 + lineCount(reports) * 500);
        row(out, Arrays.stream(FocusColumn.values()).map(FocusColumn::columnId).toArray());
        for (BillingReport report : reports) {
            for (BillingReport.LineItem line : report.lines()) {
                row(out, focusRow(report, line).values().toArray());
            }
        }
        return out.toString();
    }

    private Map<FocusColumn, Object> focusRow(BillingReport report, BillingReport.LineItem line) {
        boolean vm = "vm".equals(line.kind());
        String unit = focusUnit(line.unit());
        Service service = service(line.resource(), vm);
        String sku = (line.kind() == null ? "instance" : line.kind()) + "-" + line.resource()
                + (line.image() == null ? "" : "-" + line.image());
        // A charge period is whole seconds within the billing period: its start rounds down, its
        // (exclusive) end up.
        Instant start = line.chargeStart() == null ? report.from() : line.chargeStart().truncatedTo(ChronoUnit.SECONDS);
        Instant end = line.chargeEnd() == null ? report.to() : roundUp(line.chargeEnd());
        if (end.isAfter(report.to())) {
            end = report.to();
        }
        if (!end.isAfter(start)) {
            end = start.plusSeconds(1);
        }
        Map<FocusColumn, Object> row = new EnumMap<>(FocusColumn.class);
        row.put(FocusColumn.BILLED_COST, line.cost());
        row.put(FocusColumn.BILLING_ACCOUNT_ID, report.tenantId());
        row.put(FocusColumn.BILLING_ACCOUNT_NAME, report.tenant());
        row.put(FocusColumn.BILLING_CURRENCY, report.currency());
        row.put(FocusColumn.BILLING_PERIOD_END, FOCUS_TIME.format(report.to()));
        row.put(FocusColumn.BILLING_PERIOD_START, FOCUS_TIME.format(report.from()));
        row.put(FocusColumn.CHARGE_CATEGORY, USAGE);
        row.put(FocusColumn.CHARGE_CLASS, null); // no row corrects an earlier invoiced period
        row.put(FocusColumn.CHARGE_DESCRIPTION, line.description());
        row.put(FocusColumn.CHARGE_FREQUENCY, USAGE_BASED);
        row.put(FocusColumn.CHARGE_PERIOD_END, FOCUS_TIME.format(end));
        row.put(FocusColumn.CHARGE_PERIOD_START, FOCUS_TIME.format(start));
        row.put(FocusColumn.CONSUMED_QUANTITY, line.quantity());
        row.put(FocusColumn.CONSUMED_UNIT, unit);
        row.put(FocusColumn.CONTRACTED_COST, line.cost());
        row.put(FocusColumn.CONTRACTED_UNIT_PRICE, line.unitPrice());
        row.put(FocusColumn.EFFECTIVE_COST, line.cost());
        row.put(FocusColumn.INVOICE_ISSUER_NAME, PROVIDER);
        row.put(FocusColumn.LIST_COST, line.cost());
        row.put(FocusColumn.LIST_UNIT_PRICE, line.unitPrice());
        row.put(FocusColumn.PRICING_QUANTITY, line.quantity());
        row.put(FocusColumn.PRICING_UNIT, unit);
        row.put(FocusColumn.PROVIDER_NAME, PROVIDER);
        row.put(FocusColumn.PUBLISHER_NAME, PROVIDER);
        row.put(FocusColumn.RESOURCE_ID, line.instanceId());
        row.put(FocusColumn.RESOURCE_NAME, line.instanceName());
        row.put(FocusColumn.RESOURCE_TYPE, vm ? "Virtual Machine" : "Jail");
        row.put(FocusColumn.SERVICE_CATEGORY, service.category());
        row.put(FocusColumn.SERVICE_NAME, vm ? "Multiplicity Virtual Machines" : "Multiplicity Jails");
        row.put(FocusColumn.SERVICE_SUBCATEGORY, service.subcategory());
        row.put(FocusColumn.SKU_ID, sku);
        row.put(FocusColumn.SKU_METER, service.meter());
        row.put(FocusColumn.SKU_PRICE_DETAILS, details(new SkuPriceDetails(report.plan(), line.unitPrice(),
                report.currency(), unit, line.image())));
        row.put(FocusColumn.SKU_PRICE_ID, sku + "-" + report.plan());
        row.put(FocusColumn.SUB_ACCOUNT_ID, report.tenantId());
        row.put(FocusColumn.SUB_ACCOUNT_NAME, report.tenant());
        if (row.size() != FocusColumn.values().length) {
            throw new IllegalStateException("a FOCUS row lacks columns: " + row.keySet());
        }
        return row;
    }

    /** ServiceCategory and ServiceSubcategory from the specification's allowed values; a meter per resource. */
    private static Service service(String resource, boolean vm) {
        String compute = vm ? "Virtual Machines" : "Containers";
        return switch (resource) {
            case "vcpu" -> new Service("Compute", compute, "Compute Usage");
            case "memory" -> new Service("Compute", compute, "Memory Usage");
            case "image" -> new Service("Compute", compute, "Image License");
            case "disk" -> new Service("Storage", vm ? "Block Storage" : "File Storage", "Disk Allocation");
            case "snapshot" -> new Service("Storage", "Backup Storage", "Snapshot Storage");
            case "address" -> new Service("Networking", "Network Connectivity", "Public Address");
            case "egress" -> new Service("Networking", "Network Connectivity", "Data Transfer Out");
            default -> new Service("Other", "Other (Other)", resource);
        };
    }

    private String details(SkuPriceDetails details) {
        try {
            return json.writeValueAsString(details);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("SKU price details could not be written", e);
        }
    }

    private static Instant roundUp(Instant instant) {
        Instant whole = instant.truncatedTo(ChronoUnit.SECONDS);
        return whole.equals(instant) ? whole : whole.plusSeconds(1);
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
