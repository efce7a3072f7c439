package io.multiplicity.event;

import io.multiplicity.common.Clock;
import io.multiplicity.operation.Operation;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Records events in the caller's transaction. Streams read them back by id, so an event is seen
 * only once its change has committed, by every replica, and a client that reconnects resumes where
 * it stopped.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class EventService {

    @Inject
    EntityManager em;

    public void record(UUID tenantId, String type, String targetType, UUID targetId, Map<String, Object> payload) {
        Event event = new Event();
        event.tenantId = tenantId;
        event.type = type;
        event.targetType = targetType;
        event.targetId = targetId;
        event.payload = payload;
        event.createdAt = Clock.now();
        em.persist(event);
    }

    public void operation(Operation operation) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("id", operation.id.toString());
        payload.put("kind", operation.kind);
        payload.put("state", operation.state);
        payload.put("progress", operation.progress);
        if (operation.error != null) {
            payload.put("error", operation.error);
        }
        record(operation.tenantId, "operation." + operation.state, operation.targetType, operation.targetId, payload);
    }

    /** Events after {@code afterId} visible to {@code tenant} (all tenants when null), oldest first. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public List<Event> after(UUID tenant, long afterId, int limit) {
        String query = tenant == null
                ? "from Event e where e.id > :after order by e.id"
                : "from Event e where e.id > :after and e.tenantId = :tenant order by e.id";
        var typed = em.createQuery(query, Event.class).setParameter("after", afterId).setMaxResults(limit);
        if (tenant != null) {
            typed.setParameter("tenant", tenant);
        }
        return typed.getResultList();
    }

    /** The id of the newest event, where a new stream without a position starts. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public long latestId() {
        Long id = em.createQuery("select max(e.id) from Event e", Long.class).getSingleResult();
        return id == null ? 0 : id;
    }
}
