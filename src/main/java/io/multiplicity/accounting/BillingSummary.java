package io.multiplicity.accounting;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What every tenant owes for a period, for platform admins: one report summary per tenant (no line
 * items) and the totals per currency.
 */
public record BillingSummary(String period, Instant from, Instant to, List<BillingReport> tenants,
                             Map<String, BigDecimal> totals) {
}
