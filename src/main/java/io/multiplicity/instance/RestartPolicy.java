package io.multiplicity.instance;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.Clock;
import io.multiplicity.operation.OperationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What happens to an instance meant to run that is found down: under {@code never} it stays down;
 * under {@code on-failure} (the default) a crash is restarted and a power-off from inside is taken
 * for the tenant's wish (the instance is stopped for good); under {@code always} both are restarted.
 * Consecutive restarts back off: the first at once, then after 10 s, 20 s, 40 s … up to 5 minutes;
 * an instance that has run for 10 minutes since its last restart starts counting again. Restarts
 * are operations of their own ({@code instance.start}, asked by "restart policy") in the audit log.
 */
@ApplicationScoped
public class RestartPolicy {

    public static final String NEVER = "never";
    public static final String ON_FAILURE = "on-failure";
    public static final String ALWAYS = "always";

    static final Duration FIRST_BACKOFF = Duration.ofSeconds(10);
    static final Duration LONGEST_BACKOFF = Duration.ofMinutes(5);
    static final Duration STABLE = Duration.ofMinutes(10);
    static final String ACTOR = "restart policy";

    @Inject
    EntityManager em;

    @Inject
    OperationService operations;

    @Inject
    AuditService audit;

    /** How long to wait after the {@code restarts}-th consecutive automatic restart before the next. */
    static Duration backoff(int restarts) {
        if (restarts <= 0) {
            return Duration.ZERO;
        }
        Duration wait = FIRST_BACKOFF.multipliedBy(1L << Math.min(restarts - 1, 20));
        return wait.compareTo(LONGEST_BACKOFF) > 0 ? LONGEST_BACKOFF : wait;
    }

    /**
     * Acts on an instance the reconciler found down while it is meant to run (its state is already
     * recorded: crashed, or stopped from inside). Returns whether it asked for a restart.
     */
    @Transactional
    public boolean down(UUID id) {
        Instance instance = em.find(Instance.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (instance == null || instance.deletedAt != null || !"running".equals(instance.desiredState)
                || operations.active(id).isPresent()) {
            return false;
        }
        boolean stoppedInside = InstanceState.STOPPED.equals(instance.actualState);
        if (!stoppedInside && !InstanceState.CRASHED.equals(instance.actualState)) {
            return false;
        }
        String policy = instance.restartPolicy == null ? ON_FAILURE : instance.restartPolicy;
        if (NEVER.equals(policy) || (stoppedInside && ON_FAILURE.equals(policy))) {
            if (stoppedInside) {
                // the tenant stopped it from inside: that is what it wants now
                instance.desiredState = "stopped";
                instance.updatedAt = Clock.now();
                audit.recordAutomatic(instance.tenantId, ACTOR, "instance.stopped-inside", "instance", id, "succeeded",
                        detail(instance.stateDetail));
            }
            return false;
        }
        Instant now = Clock.now();
        Duration wait = backoff(instance.restarts);
        if (instance.restartedAt != null && now.isBefore(instance.restartedAt.plus(wait))) {
            return false;
        }
        instance.restarts++;
        instance.restartedAt = now;
        instance.updatedAt = now;
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("automatic", true);
        input.put("policy", policy);
        input.put("attempt", instance.restarts);
        if (instance.stateDetail != null) {
            input.put("reason", instance.stateDetail);
        }
        operations.submitAutomatic(instance.tenantId, InstanceService.START, "instance", id, input, ACTOR);
        audit.recordAutomatic(instance.tenantId, ACTOR, InstanceService.START, "instance", id, "accepted", input);
        return true;
    }

    /** An instance that runs: after {@link #STABLE} since its last automatic restart, the count starts again. */
    @Transactional
    public void running(UUID id) {
        Instance instance = em.find(Instance.class, id);
        if (instance != null && instance.restarts > 0 && instance.restartedAt != null
                && Clock.now().isAfter(instance.restartedAt.plus(STABLE))) {
            em.lock(instance, LockModeType.PESSIMISTIC_WRITE);
            instance.restarts = 0;
        }
    }

    private static Map<String, Object> detail(String reason) {
        Map<String, Object> details = new LinkedHashMap<>();
        if (reason != null) {
            details.put("reason", reason);
        }
        return details;
    }
}
