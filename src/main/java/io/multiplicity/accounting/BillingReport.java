package io.multiplicity.accounting;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What one tenant owes for a period: a line per instance and resource, totals per resource, the
 * total at full precision and the amount due in whole cents.
 *
 * @param period    the month as YYYY-MM, null for a free range
 * @param total     Σ of the line costs (6 decimal places)
 * @param amountDue the total rounded half-up to 2 decimal places
 */
public record BillingReport(UUID tenantId, String tenant, String plan, String currency, String period, Instant from,
                            Instant to, int instances, List<LineItem> lines, Map<String, ResourceTotal> resources,
                            BigDecimal total, BigDecimal amountDue, Map<UUID, MeasuredUse> measured) {

    /**
     * One charge: what an instance consumed of one resource over the period.
     *
     * @param resource    vcpu, memory, disk, snapshot or image
     * @param chargeStart first moment of the period the instance held the resource
     * @param chargeEnd   last such moment
     */
    public record LineItem(UUID instanceId, String instanceName, String kind, String resource, String description,
                           BigDecimal quantity, String unit, BigDecimal unitPrice, BigDecimal cost,
                           Instant chargeStart, Instant chargeEnd) {
    }

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
        return new BillingReport(tenantId, tenant, plan, currency, period, from, to, instances, null, resources, total,
                amountDue, null);
    }
}
