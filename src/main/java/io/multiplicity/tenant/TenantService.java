package io.multiplicity.tenant;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Tenants, for platform admins. */
@ApplicationScoped
@Transactional
public class TenantService {

    @Inject
    EntityManager em;

    @Inject
    OperationService operations;

    @Inject
    AuditService audit;

    @Inject
    jakarta.enterprise.event.Event<TenantEgressChanged> egressChanged;

    public record TenantSummary(Tenant tenant, long instances, long users) {
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<TenantSummary> list() {
        Map<UUID, Long> instances = counts("select i.tenantId, count(i) from Instance i where i.deletedAt is null"
                + " group by i.tenantId");
        Map<UUID, Long> users = counts("select u.tenantId, count(u) from UserAccount u where u.tenantId is not null"
                + " group by u.tenantId");
        return Tenant.<Tenant>list("order by slug").stream()
                .map(tenant -> new TenantSummary(tenant, instances.getOrDefault(tenant.id, 0L),
                        users.getOrDefault(tenant.id, 0L)))
                .toList();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public TenantSummary get(UUID id) {
        Tenant tenant = Tenant.findById(id);
        if (tenant == null) {
            throw ApiException.notFound("tenant", id);
        }
        return list().stream().filter(summary -> summary.tenant().id.equals(id)).findFirst().orElseThrow();
    }

    public Operation create(String slug, String displayName) {
        if (Tenant.findBySlug(slug).isPresent()) {
            throw ApiException.conflict("name_taken", "there is already a tenant named " + slug, Map.of("field", "slug"));
        }
        Tenant tenant = new Tenant();
        tenant.id = UUID.randomUUID();
        tenant.slug = slug;
        tenant.displayName = displayName == null || displayName.isBlank() ? slug : displayName;
        tenant.createdAt = Clock.now();
        tenant.persist();
        audit.record(tenant.id, "tenant.create", "tenant", tenant.id, "succeeded", Map.of("slug", slug));
        return operations.completed(tenant.id, "tenant.create", "tenant", tenant.id, Map.of("slug", slug));
    }

    /** Switches the tenant's egress (null leaves it); its hosts follow once the change is committed. */
    public Operation update(UUID id, Boolean egress) {
        Tenant tenant = Tenant.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (tenant == null) {
            throw ApiException.notFound("tenant", id);
        }
        Map<String, Object> changes = new java.util.LinkedHashMap<>();
        if (egress != null && egress != tenant.egress) {
            tenant.egress = egress;
            changes.put("egress", egress);
            egressChanged.fire(new TenantEgressChanged(tenant.id, egress));
        }
        audit.record(tenant.id, "tenant.update", "tenant", tenant.id, "succeeded", changes);
        return operations.completed(tenant.id, "tenant.update", "tenant", tenant.id, changes);
    }

    private Map<UUID, Long> counts(String query) {
        Map<UUID, Long> counts = new HashMap<>();
        for (Object[] row : em.createQuery(query, Object[].class).getResultList()) {
            counts.put((UUID) row[0], ((Number) row[1]).longValue());
        }
        return counts;
    }
}
