package io.multiplicity.accounting;

import io.multiplicity.common.Clock;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Use that the database knows without measuring: instances that really run and the vCPUs and
 * addresses they hold. Memory, disk and snapshot use come from each live instance's latest metering
 * sample when it is recent (at most three intervals old) and its host measures them; they are
 * absent otherwise. Bytes are shown rounded up to whole MiB and GiB.
 */
@ApplicationScoped
@DefaultBean
public class CountedUsage implements UsageReadings {

    @Inject
    EntityManager em;

    @Inject
    MeteringConfig metering;

    @Override
    public Map<String, Long> current(UUID tenantId) {
        Object[] row = em.createQuery("select count(i), coalesce(sum(i.vcpus), 0) from Instance i"
                        + " where i.tenantId = :tenant and i.deletedAt is null and (i.actualState = 'running'"
                        // an instance whose host went silent while it ran may well run still: it keeps counting
                        + " or (i.actualState = 'unknown' and i.desiredState = 'running'))",
                        Object[].class)
                .setParameter("tenant", tenantId)
                .getSingleResult();
        Map<String, Long> used = new LinkedHashMap<>();
        used.put("instances", ((Number) row[0]).longValue());
        used.put("vcpus", ((Number) row[1]).longValue());
        used.put("addresses", Quotas.publicAddresses(em, tenantId));
        Object[] measured = (Object[]) em.createNativeQuery("select"
                        + " count(case when i.actual_state = 'running' then s.memory_bytes end),"
                        + " coalesce(sum(case when i.actual_state = 'running' then s.memory_bytes end), 0),"
                        + " count(s.disk_used_bytes), coalesce(sum(s.disk_used_bytes), 0),"
                        + " count(s.snapshot_bytes), coalesce(sum(s.snapshot_bytes), 0)"
                        + " from instances i cross join lateral (select m.memory_bytes, m.disk_used_bytes, m.snapshot_bytes,"
                        + "   m.sampled_at from metering_samples m where m.instance_id = i.id"
                        + "   order by m.sampled_at desc limit 1) s"
                        + " where i.tenant_id = ?1 and i.deleted_at is null and s.sampled_at >= ?2")
                .setParameter(1, tenantId)
                .setParameter(2, Clock.now().minus(metering.interval().multipliedBy(3)).atOffset(ZoneOffset.UTC))
                .getSingleResult();
        if (((Number) measured[0]).longValue() > 0) {
            used.put("memoryMiB", roundUp(measured[1], 1L << 20));
        }
        if (((Number) measured[2]).longValue() > 0) {
            used.put("diskGiB", roundUp(measured[3], 1L << 30));
        }
        if (((Number) measured[4]).longValue() > 0) {
            used.put("snapshotGiB", roundUp(measured[5], 1L << 30));
        }
        return used;
    }

    private static long roundUp(Object bytes, long unit) {
        return new BigDecimal(bytes.toString()).divide(BigDecimal.valueOf(unit), 0, RoundingMode.CEILING).longValue();
    }
}
