package io.multiplicity.instance;

import io.multiplicity.accounting.Quotas;
import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.operation.OperationService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Takes and prunes scheduled snapshots. Every pass (each minute, on every replica: the instance's
 * row lock makes two replicas take turns) gives each scheduled instance at most one operation: the
 * snapshot due for the newest period without one (named {@code auto-<period>-<yyyymmdd-hhmm>}),
 * else the removal of the oldest snapshot its schedule took beyond what it keeps. Instances busy with
 * another operation wait for the next pass. A snapshot is admitted against the snapshots quota like
 * any other; a refusal is audited once per period and the schedule goes on.
 */
@ApplicationScoped
public class ScheduledSnapshots {

    private static final Logger LOG = Logger.getLogger(ScheduledSnapshots.class);
    static final String ACTOR = "snapshot schedule";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmm").withZone(ZoneOffset.UTC);

    @Inject
    EntityManager em;

    @Inject
    OperationService operations;

    @Inject
    Quotas quotas;

    @Inject
    AuditService audit;

    /** Refusals already audited, by instance, period and period start. */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    @Scheduled(every = "${multiplicity.snapshots.schedule-check:60s}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        pass(Clock.now());
    }

    /** One pass at {@code now}; returns how many operations it submitted. */
    public int pass(Instant now) {
        List<UUID> scheduled = QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                "select s.instanceId from SnapshotSchedule s order by s.instanceId", UUID.class).getResultList());
        int submitted = 0;
        for (UUID instance : scheduled) {
            try {
                if (QuarkusTransaction.requiringNew().call(() -> step(instance, now))) {
                    submitted++;
                }
            } catch (Refused refused) {
                report(instance, refused, now);
            } catch (RuntimeException e) {
                LOG.warnf(e, "scheduled snapshots of instance %s: %s", instance, e.getMessage());
            }
        }
        return submitted;
    }

    /** A due snapshot the quota refused. */
    private static final class Refused extends RuntimeException {
        final SnapshotPeriod period;
        final ApiException reason;

        Refused(SnapshotPeriod period, ApiException reason) {
            super(reason.getMessage(), null, false, false);
            this.period = period;
            this.reason = reason;
        }
    }

    private boolean step(UUID id, Instant now) {
        Instance instance = em.find(Instance.class, id, LockModeType.PESSIMISTIC_WRITE);
        SnapshotSchedule schedule = em.find(SnapshotSchedule.class, id);
        if (schedule == null) {
            return false;
        }
        if (instance == null || instance.deletedAt != null) {
            em.remove(schedule);
            return false;
        }
        if (operations.active(id).isPresent()) {
            return false;
        }
        for (SnapshotPeriod period : SnapshotPeriod.values()) {
            if (period.keep(schedule) > 0 && !takenSince(id, period, period.start(now))) {
                take(instance, period, now);
                return true;
            }
        }
        for (SnapshotPeriod period : SnapshotPeriod.values()) {
            List<InstanceSnapshot> taken = InstanceSnapshot.list(
                    "instanceId = ?1 and schedule = ?2 and deletedAt is null order by createdAt desc", id, period.label());
            if (taken.size() > period.keep(schedule)) {
                InstanceSnapshot oldest = taken.get(taken.size() - 1);
                submit(instance, InstanceService.DELETE_SNAPSHOT, oldest.name, period);
                return true;
            }
        }
        return false;
    }

    private boolean takenSince(UUID id, SnapshotPeriod period, Instant start) {
        return InstanceSnapshot.count("instanceId = ?1 and schedule = ?2 and createdAt >= ?3 and deletedAt is null",
                id, period.label(), start) > 0;
    }

    private void take(Instance instance, SnapshotPeriod period, Instant now) {
        try {
            quotas.admitSnapshot(instance.tenantId);
        } catch (ApiException e) {
            throw new Refused(period, e);
        }
        String name = "auto-" + period.label() + "-" + STAMP.format(now);
        for (int n = 2; InstanceSnapshot.count("instanceId = ?1 and name = ?2 and deletedAt is null", instance.id, name) > 0; n++) {
            name = "auto-" + period.label() + "-" + STAMP.format(now) + "-" + n;
        }
        InstanceSnapshot snapshot = new InstanceSnapshot();
        snapshot.id = UUID.randomUUID();
        snapshot.instanceId = instance.id;
        snapshot.tenantId = instance.tenantId;
        snapshot.name = name;
        snapshot.schedule = period.label();
        snapshot.createdAt = now;
        em.persist(snapshot);
        submit(instance, InstanceService.SNAPSHOT, name, period);
    }

    private void submit(Instance instance, String kind, String snapshot, SnapshotPeriod period) {
        Map<String, Object> input = Map.of("name", snapshot);
        operations.submitAutomatic(instance.tenantId, kind, "instance", instance.id, input, ACTOR);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("snapshot", snapshot);
        details.put("schedule", period.label());
        audit.recordAutomatic(instance.tenantId, ACTOR, kind, "instance", instance.id, "accepted", details);
    }

    private void report(UUID instance, Refused refused, Instant now) {
        if (!reported.add(instance + "/" + refused.period.label() + "/" + refused.period.start(now))) {
            return;
        }
        QuarkusTransaction.requiringNew().run(() -> {
            Instance row = em.find(Instance.class, instance);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("schedule", refused.period.label());
            details.put("error", refused.reason.code());
            details.put("message", refused.reason.getMessage());
            audit.recordAutomatic(row.tenantId, ACTOR, InstanceService.SNAPSHOT, "instance", instance, "refused", details);
        });
    }
}
