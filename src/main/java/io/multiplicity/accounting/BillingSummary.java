package io.multiplicity.accounting;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What every tenant owes for a period, for platform admins: one report summary per tenant (no line
 * items), the totals per currency at full precision and the amounts due per currency in its own
 * minor units.
 */
@Schema(requiredProperties = {"period", "from", "to", "tenants", "totals"})
public record BillingSummary(String period, Instant from, Instant to, List<BillingReport> tenants,
                             Map<String, BigDecimal> totals, Map<String, BigDecimal> amountsDue) {
}
