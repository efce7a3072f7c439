package io.multiplicity.operation;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.common.Cursors;
import io.multiplicity.common.Page;
import io.multiplicity.event.EventService;
import io.multiplicity.identity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Creates, reads and cancels operations, and records their progress and end. */
@ApplicationScoped
@Transactional
public class OperationService {

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    EventService events;

    @Inject
    AuditService audit;

    @Inject
    Event<OperationSubmitted> submitted;

    /**
     * Creates a pending operation in the caller's transaction; the worker picks it up once the
     * transaction commits.
     */
    public Operation submit(UUID tenantId, String kind, String targetType, UUID targetId, Map<String, Object> input) {
        Operation operation = newOperation(tenantId, kind, targetType, targetId, input);
        operation.state = OperationState.PENDING;
        operation.persist();
        events.operation(operation);
        submitted.fire(new OperationSubmitted(operation.id));
        return operation;
    }

    /**
     * Creates a pending operation that no user asked for (the platform's own, e.g. a restart by an
     * instance's restart policy), in the caller's transaction; {@code actor} names what asked.
     */
    public Operation submitAutomatic(UUID tenantId, String kind, String targetType, UUID targetId,
                                     Map<String, Object> input, String actor) {
        Operation operation = new Operation();
        operation.id = UUID.randomUUID();
        operation.tenantId = tenantId;
        operation.kind = kind;
        operation.targetType = targetType;
        operation.targetId = targetId;
        operation.input = input == null ? null : new HashMap<>(input);
        operation.requestedByName = actor;
        operation.createdAt = Clock.now();
        operation.updatedAt = operation.createdAt;
        operation.state = OperationState.PENDING;
        operation.persist();
        events.operation(operation);
        submitted.fire(new OperationSubmitted(operation.id));
        return operation;
    }

    /**
     * Records a change the request made synchronously (a pure database change) as an operation that
     * already succeeded, so every mutation has one and the API answers every mutation alike.
     */
    public Operation completed(UUID tenantId, String kind, String targetType, UUID targetId, Map<String, Object> input) {
        Operation operation = newOperation(tenantId, kind, targetType, targetId, input);
        operation.state = OperationState.SUCCEEDED;
        operation.progress = 100;
        operation.attempts = 1;
        operation.startedAt = operation.createdAt;
        operation.finishedAt = operation.createdAt;
        operation.persist();
        events.operation(operation);
        return operation;
    }

    private Operation newOperation(UUID tenantId, String kind, String targetType, UUID targetId,
                                   Map<String, Object> input) {
        Caller.Principal principal = caller.get();
        Operation operation = new Operation();
        operation.id = UUID.randomUUID();
        operation.tenantId = tenantId;
        operation.kind = kind;
        operation.targetType = targetType;
        operation.targetId = targetId;
        operation.input = input == null ? null : new HashMap<>(input);
        operation.requestedBy = principal.userId();
        operation.requestedByName = principal.username();
        operation.createdAt = Clock.now();
        operation.updatedAt = operation.createdAt;
        return operation;
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Operation get(UUID id) {
        UUID scope = caller.tenantScope();
        Operation operation = Operation.findById(id);
        if (operation == null || (scope != null && !scope.equals(operation.tenantId))) {
            throw ApiException.notFound("operation", id);
        }
        return operation;
    }

    /** The operation still pending or running on a target, if any. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Optional<Operation> active(UUID targetId) {
        return Operation.find("targetId = ?1 and state in ('pending', 'running') order by createdAt", targetId)
                .firstResultOptional();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Page<Operation> list(UUID target, String state, Integer limit, String cursor) {
        if (state != null && !List.of(OperationState.PENDING, OperationState.RUNNING, OperationState.SUCCEEDED,
                OperationState.FAILED, OperationState.CANCELLED).contains(state)) {
            throw ApiException.badRequest("validation_failed",
                    "state must be one of pending, running, succeeded, failed, cancelled", Map.of("field", "state"));
        }
        int size = Cursors.limit(limit);
        Cursors.Position after = Cursors.decode(cursor);
        UUID scope = caller.tenantScope();
        StringBuilder query = new StringBuilder("from Operation o where 1 = 1");
        Map<String, Object> parameters = new HashMap<>();
        if (scope != null) {
            query.append(" and o.tenantId = :tenant");
            parameters.put("tenant", scope);
        }
        if (target != null) {
            query.append(" and o.targetId = :target");
            parameters.put("target", target);
        }
        if (state != null) {
            query.append(" and o.state = :state");
            parameters.put("state", state);
        }
        if (after != null) {
            query.append(" and (o.createdAt < :at or (o.createdAt = :at and o.id < :id))");
            parameters.put("at", after.createdAt());
            parameters.put("id", after.id());
        }
        query.append(" order by o.createdAt desc, o.id desc");
        var typed = em.createQuery(query.toString(), Operation.class).setMaxResults(size + 1);
        parameters.forEach(typed::setParameter);
        return Page.of(typed.getResultList(), size, operation -> operation.createdAt, operation -> operation.id);
    }

    /**
     * Cancels a pending operation at once; asks a running one to stop at its next safe point.
     */
    public Operation cancel(UUID id) {
        Operation operation = get(id);
        em.lock(operation, LockModeType.PESSIMISTIC_WRITE);
        em.refresh(operation);
        if (operation.isTerminal()) {
            throw ApiException.conflict("operation_finished",
                    "operation " + id + " already ended " + operation.state, Map.of("state", operation.state));
        }
        // The worker finishes the cancellation: at once for a pending operation, at the handler's
        // next safe point for a running one; either way the handler's clean-up runs.
        Instant now = Clock.now();
        operation.cancelRequested = true;
        operation.updatedAt = now;
        events.operation(operation);
        audit.record(operation.tenantId, "operation.cancel", "operation", operation.id, "accepted", null);
        return operation;
    }
}
