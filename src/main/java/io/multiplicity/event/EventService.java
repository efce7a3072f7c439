package io.multiplicity.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.common.SqlInstants;
import io.multiplicity.operation.Operation;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Records events in the caller's transaction and reads them back in the order their transactions
 * became final. An id is drawn at insert, but transactions commit in any order: reading by id, a
 * stream that saw N+1 would never deliver a late N. So each row carries its transaction's id, and a
 * read returns only rows whose transaction is older than every transaction still running (the
 * snapshot's xmin), ordered by (transaction, id): nothing can appear below that horizon later, and
 * a cursor at (transaction, id) misses nothing.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class EventService {

    /** What a stream read: events to deliver, and whether newer ones wait for older transactions. */
    public record Batch(List<Event> events, boolean heldBack) {
    }

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

    /**
     * Final events after {@code cursor} visible to {@code tenant} (all tenants when null), in
     * delivery order, and whether events after the cursor wait for an older transaction to end.
     */
    @Transactional(Transactional.TxType.SUPPORTS)
    @SuppressWarnings("unchecked")
    public Batch after(UUID tenant, EventCursor cursor, int limit) {
        String scope = tenant == null ? "" : " and e.tenant_id = :tenant";
        var query = em.createNativeQuery("""
                with horizon as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
                select e.id, e.tenant_id, e.type, e.target_type, e.target_id, cast(e.payload as text),
                       e.created_at, cast(cast(e.tx as text) as bigint), e.tx < horizon.xmin
                from events e, horizon
                where (e.tx, e.id) > (cast(cast(:tx as text) as xid8), :id)""" + scope + """
                 order by e.tx, e.id
                limit :limit""")
                .setParameter("tx", Long.toString(Math.max(cursor.transaction(), 0)))
                .setParameter("id", cursor.id())
                .setParameter("limit", limit + 1);
        if (tenant != null) {
            query.setParameter("tenant", tenant);
        }
        List<Event> events = new ArrayList<>();
        boolean heldBack = false;
        for (Object[] row : (List<Object[]>) query.getResultList()) {
            if (!(Boolean) row[8]) {
                heldBack = true; // the first row of a transaction still below nobody's horizon
                break;
            }
            if (events.size() == limit) {
                break;
            }
            events.add(event(row));
        }
        return new Batch(events, heldBack);
    }

    /** Where a new stream starts: after everything final now; running transactions still come. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public EventCursor now() {
        Object horizon = em.createNativeQuery(
                "select cast(cast(pg_snapshot_xmin(pg_current_snapshot()) as text) as bigint)").getSingleResult();
        return new EventCursor(((Number) horizon).longValue() - 1, Long.MAX_VALUE);
    }

    /** The cursor of the event with this id (a bare number in Last-Event-ID or ?after=). */
    @Transactional(Transactional.TxType.SUPPORTS)
    public EventCursor cursorOf(long eventId) {
        List<?> found = em.createNativeQuery("select cast(cast(tx as text) as bigint) from events where id = :id")
                .setParameter("id", eventId).getResultList();
        if (found.isEmpty()) {
            throw ApiException.badRequest("validation_failed", "there is no event " + eventId + " to resume after", null);
        }
        return new EventCursor(((Number) found.get(0)).longValue(), eventId);
    }

    private static Event event(Object[] row) {
        Event event = new Event();
        event.id = ((Number) row[0]).longValue();
        event.tenantId = (UUID) row[1];
        event.type = (String) row[2];
        event.targetType = (String) row[3];
        event.targetId = (UUID) row[4];
        event.payload = row[5] == null ? null : payload((String) row[5]);
        event.createdAt = SqlInstants.of(row[6]);
        event.transaction = ((Number) row[7]).longValue();
        return event;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Map<String, Object> payload(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, Object>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event's payload is not a JSON object", e);
        }
    }

}
