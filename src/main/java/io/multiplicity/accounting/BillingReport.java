package io.multiplicity.accounting;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What one tenant owes for a period: a line per instance and resource, totals per resource, the
 * total at full precision and the amount due in the currency's minor units.
 *
 * @param period          the month as YYYY-MM, null for a free range
 * @param currencyDecimals the currency's minor units (ISO 4217): 0 for JPY, 2 for EUR, 3 for BHD
 * @param total           Σ of the line costs (6 decimal places)
 * @param amountDue       the total rounded half-up to the currency's minor units
 */
@Schema(requiredProperties = {"tenant", "currency", "from", "to", "instances", "resources", "total", "amountDue"})
public record BillingReport(UUID tenantId, String tenant, String plan, String currency, int currencyDecimals,
                            String period, Instant from, Instant to, int instances, List<LineItem> lines,
                            Map<String, ResourceTotal> resources, BigDecimal total, BigDecimal amountDue,
                            Map<UUID, MeasuredUse> measured) {

    /**
     * One charge: what an instance consumed of one resource over the period.
     *
     * @param resource    vcpu, memory, disk, snapshot, image, egress or address
     * @param image       the provider's image whose fee the line charges; null on other lines
     * @param chargeStart first moment of the period the instance held the resource
     * @param chargeEnd   last such moment
     */
    @Schema(requiredProperties = {"instanceId", "resource", "description", "quantity", "unit", "unitPrice", "cost"})
    public record LineItem(UUID instanceId, String instanceName, String kind, String resource, String image,
                           String description, BigDecimal quantity, String unit, BigDecimal unitPrice, BigDecimal cost,
                           Instant chargeStart, Instant chargeEnd) {
    }

    @Schema(requiredProperties = {"quantity", "unit", "cost"})
    public record ResourceTotal(BigDecimal quantity, String unit, BigDecimal cost) {
    }

    /**
     * What an instance measurably used over the period, from metering; null where not measured.
     *
     * @param cpuSeconds        CPU time used
     * @param memoryBytesAverage average resident memory over the samples
     */
    public record MeasuredUse(BigDecimal cpuSeconds, Long memoryBytesAverage, Long netRxBytes, Long netTxBytes,
                              Long diskUsedBytesAverage, Long snapshotBytesAverage) {
    }

    /** The same report without its line items and measurements, for summaries. */
    public BillingReport summary() {
        return new BillingReport(tenantId, tenant, plan, currency, currencyDecimals, period, from, to, instances, null,
                resources, total, amountDue, null);
    }
}
