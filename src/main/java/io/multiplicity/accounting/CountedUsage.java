package io.multiplicity.accounting;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Use that the database knows without measuring: instances that really run and the vCPUs and
 * addresses they hold. Memory and disk use come from metering when it is installed.
 */
@ApplicationScoped
@DefaultBean
public class CountedUsage implements UsageReadings {

    @Inject
    EntityManager em;

    @Override
    public Map<String, Long> current(UUID tenantId) {
        Object[] row = em.createQuery("select count(i), coalesce(sum(i.vcpus), 0), count(i.address) from Instance i"
                        + " where i.tenantId = :tenant and i.deletedAt is null and i.actualState = 'running'",
                        Object[].class)
                .setParameter("tenant", tenantId)
                .getSingleResult();
        Map<String, Long> used = new LinkedHashMap<>();
        used.put("instances", ((Number) row[0]).longValue());
        used.put("vcpus", ((Number) row[1]).longValue());
        used.put("addresses", ((Number) row[2]).longValue());
        return used;
    }
}
