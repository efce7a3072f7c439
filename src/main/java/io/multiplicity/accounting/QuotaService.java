package io.multiplicity.accounting;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.identity.Caller;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import io.multiplicity.tenant.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.Map;
import java.util.UUID;

/** Reading and setting quotas: one view for the tenant and its admins alike. */
@ApplicationScoped
@Transactional
public class QuotaService {

    @Inject
    EntityManager em;

    @Inject
    Quotas quotas;

    @Inject
    UsageReadings usage;

    @Inject
    Caller caller;

    @Inject
    OperationService operations;

    @Inject
    AuditService audit;

    @Transactional(Transactional.TxType.SUPPORTS)
    public QuotaView mine() {
        return view(caller.requireTenant());
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public QuotaView view(UUID tenantId) {
        Tenant tenant = em.find(Tenant.class, tenantId);
        if (tenant == null) {
            throw ApiException.notFound("tenant", tenantId);
        }
        Plan plan = tenant.planId == null ? null : em.find(Plan.class, tenant.planId);
        return QuotaView.of(tenant.slug, plan == null ? null : plan.name, quotas.limits(tenantId),
                quotas.allocation(tenantId), usage.current(tenantId));
    }

    /** Sets a tenant's own limits; a null field inherits the plan's. */
    public Operation set(UUID tenantId, QuotaResource.SetQuotaRequest request) {
        Tenant tenant = em.find(Tenant.class, tenantId, LockModeType.PESSIMISTIC_WRITE);
        if (tenant == null) {
            throw ApiException.notFound("tenant", tenantId);
        }
        TenantQuota quota = em.find(TenantQuota.class, tenantId);
        if (quota == null) {
            quota = new TenantQuota();
            quota.tenantId = tenantId;
        }
        quota.maxInstances = request.instances();
        quota.maxVcpus = request.vcpus();
        quota.maxMemoryMiB = request.memoryMiB();
        quota.maxDiskGiB = request.diskGiB();
        quota.maxSnapshots = request.snapshots();
        quota.maxSnapshotGiB = request.snapshotGiB();
        quota.maxPrivateImages = request.privateImages();
        quota.maxImageMiB = request.imageMiB();
        quota.maxAddresses = request.addresses();
        quota.maxConsoleSessions = request.consoleSessions();
        quota.runningOnly = request.runningOnly();
        quota.updatedAt = Clock.now();
        em.merge(quota);
        if (request.plan() != null) {
            Plan plan = Plan.find("name", request.plan()).firstResult();
            if (plan == null) {
                throw ApiException.badRequest("unknown_plan", "there is no plan '" + request.plan() + "'",
                        Map.of("field", "plan"));
            }
            tenant.planId = plan.id;
        }
        audit.record(tenantId, "quota.set", "tenant", tenantId, "succeeded", Map.of("tenant", tenant.slug));
        return operations.completed(tenantId, "quota.set", "tenant", tenantId, Map.of("tenant", tenant.slug));
    }
}
