package io.multiplicity.instance;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.identity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Reads and sets instances' snapshot schedules (the taking and pruning is {@link ScheduledSnapshots}'). */
@ApplicationScoped
@Transactional
public class SnapshotScheduleService {

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    AuditService audit;

    @Transactional(Transactional.TxType.SUPPORTS)
    public SnapshotScheduleResource.ScheduleView view(UUID id) {
        Instance instance = visible(id);
        SnapshotSchedule schedule = em.find(SnapshotSchedule.class, instance.id);
        return schedule == null ? new SnapshotScheduleResource.ScheduleView(0, 0, 0, null) : view(schedule);
    }

    public SnapshotScheduleResource.ScheduleView set(UUID id, SnapshotScheduleResource.ScheduleRequest request) {
        Instance instance = visible(id);
        SnapshotSchedule schedule = em.find(SnapshotSchedule.class, instance.id);
        if (schedule == null) {
            schedule = new SnapshotSchedule();
            schedule.instanceId = instance.id;
            schedule.tenantId = instance.tenantId;
        }
        schedule.hourly = request.hourly();
        schedule.daily = request.daily();
        schedule.weekly = request.weekly();
        schedule.updatedBy = caller.get().userId();
        schedule.updatedAt = Clock.now();
        em.merge(schedule);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", instance.name);
        details.put("hourly", request.hourly());
        details.put("daily", request.daily());
        details.put("weekly", request.weekly());
        audit.record(instance.tenantId, "instance.snapshot-schedule", "instance", instance.id, "succeeded", details);
        return view(schedule);
    }

    private static SnapshotScheduleResource.ScheduleView view(SnapshotSchedule schedule) {
        return new SnapshotScheduleResource.ScheduleView(schedule.hourly, schedule.daily, schedule.weekly,
                schedule.updatedAt);
    }

    /** A live instance of the caller's tenant (any, for platform admins); 404 otherwise. */
    private Instance visible(UUID id) {
        UUID scope = caller.tenantScope();
        Instance instance = em.find(Instance.class, id);
        if (instance == null || instance.deletedAt != null || (scope != null && !scope.equals(instance.tenantId))) {
            throw ApiException.notFound("instance", id);
        }
        return instance;
    }
}
