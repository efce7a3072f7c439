package io.multiplicity.audit;

import io.multiplicity.common.Clock;
import io.multiplicity.common.Cursors;
import io.multiplicity.common.Page;
import io.multiplicity.identity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Writes and reads the audit log. */
@ApplicationScoped
@Transactional
public class AuditService {

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    /** Records an action of the current caller in the current transaction. */
    public AuditEntry record(UUID tenantId, String action, String targetType, UUID targetId, String outcome,
                             Map<String, Object> details) {
        Caller.Principal principal = caller.get();
        return recordFor(tenantId, principal.userId(), principal.username(), principal.address(), action, targetType,
                targetId, outcome, details);
    }

    /**
     * Records an action of an actor named explicitly, in the current transaction: for the moment a
     * request is authenticated, before there is a caller to ask.
     */
    public AuditEntry recordFor(UUID tenantId, UUID actorId, String actorName, String clientAddress, String action,
                                String targetType, UUID targetId, String outcome, Map<String, Object> details) {
        AuditEntry entry = new AuditEntry();
        entry.id = UUID.randomUUID();
        entry.tenantId = tenantId;
        entry.actorId = actorId;
        entry.actorName = actorName;
        entry.action = action;
        entry.targetType = targetType;
        entry.targetId = targetId;
        entry.outcome = outcome;
        entry.clientAddress = clientAddress;
        entry.details = details;
        entry.createdAt = Clock.now();
        em.persist(entry);
        return entry;
    }

    /** Records an action the platform took by itself ({@code actor} names what), in the current transaction. */
    public AuditEntry recordAutomatic(UUID tenantId, String actor, String action, String targetType, UUID targetId,
                                      String outcome, Map<String, Object> details) {
        return recordFor(tenantId, null, actor, null, action, targetType, targetId, outcome, details);
    }

    /** The caller's tenant's entries, or every tenant's (optionally one) for a platform admin. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Page<AuditEntry> list(UUID tenantFilter, String action, Integer limit, String cursor) {
        int size = Cursors.limit(limit);
        Cursors.Position after = Cursors.decode(cursor);
        UUID scope = caller.tenantScope();
        if (scope == null) {
            scope = tenantFilter;
        }
        StringBuilder query = new StringBuilder("from AuditEntry a where 1 = 1");
        Map<String, Object> parameters = new HashMap<>();
        if (scope != null) {
            query.append(" and a.tenantId = :tenant");
            parameters.put("tenant", scope);
        }
        if (action != null) {
            query.append(" and a.action = :action");
            parameters.put("action", action);
        }
        if (after != null) {
            query.append(" and (a.createdAt < :at or (a.createdAt = :at and a.id < :id))");
            parameters.put("at", after.createdAt());
            parameters.put("id", after.id());
        }
        query.append(" order by a.createdAt desc, a.id desc");
        var typed = em.createQuery(query.toString(), AuditEntry.class).setMaxResults(size + 1);
        parameters.forEach(typed::setParameter);
        return Page.of(typed.getResultList(), size, entry -> entry.createdAt, entry -> entry.id);
    }
}
