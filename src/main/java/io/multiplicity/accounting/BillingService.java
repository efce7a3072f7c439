package io.multiplicity.accounting;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.RateLimits;
import io.multiplicity.identity.Caller;
import io.multiplicity.tenant.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** Usage and bills: a tenant sees its own, platform admins every tenant's. Reads only. */
@ApplicationScoped
@Transactional(Transactional.TxType.SUPPORTS)
public class BillingService {

    @Inject
    Rating rating;

    @Inject
    Caller caller;

    @Inject
    EntityManager em;

    @Inject
    RateLimits limits;

    /** The caller's tenant's usage and cost over any range. */
    public BillingReport usage(BillingPeriod range) {
        return report(caller.requireTenant(), range);
    }

    /** The caller's tenant's bill for a month. */
    public BillingReport mine(BillingPeriod period) {
        return report(caller.requireTenant(), period);
    }

    /** One tenant's usage and cost over any range, for platform admins; 404 for an unknown tenant. */
    public BillingReport tenantUsage(UUID tenantId, BillingPeriod range) {
        return tenant(tenantId, range);
    }

    /** One tenant's bill with its line items; 404 for an unknown tenant. */
    public BillingReport tenant(UUID tenantId, BillingPeriod period) {
        if (em.find(Tenant.class, tenantId) == null) {
            throw ApiException.notFound("tenant", tenantId);
        }
        return report(tenantId, period);
    }

    /** Every tenant's bill for a month, without line items, and the totals per currency. */
    public BillingSummary summary(BillingPeriod period) {
        limited();
        List<BillingReport> reports = rating.rate(null, period, false).stream().map(BillingReport::summary).toList();
        Map<String, BigDecimal> totals = new TreeMap<>();
        reports.forEach(report -> totals.merge(report.currency(), report.total(), BigDecimal::add));
        Map<String, BigDecimal> amountsDue = new TreeMap<>();
        totals.forEach((currency, total) -> amountsDue.put(currency, Currencies.due(total, currency)));
        return new BillingSummary(period.label(), period.from(), period.to(), reports, totals, amountsDue);
    }

    /** Every tenant's bill for a month with its line items, ordered by tenant, for the exports. */
    public List<BillingReport> everyTenant(BillingPeriod period) {
        limited();
        return rating.rate(null, period, true);
    }

    private BillingReport report(UUID tenantId, BillingPeriod period) {
        limited();
        return rating.rate(tenantId, period, true).getFirst();
    }

    /** Rating reads a month of samples: each user gets a bounded number of reports per minute. */
    private void limited() {
        limits.acquire(RateLimits.Limit.REPORTS, caller.get().userId());
    }
}
