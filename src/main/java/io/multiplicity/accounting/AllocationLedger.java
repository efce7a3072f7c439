package io.multiplicity.accounting;

import io.multiplicity.common.Clock;
import io.multiplicity.instance.Instance;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.UUID;

/**
 * Records what each instance holds over time, in the transaction of the change: creation opens a
 * period, starting, stopping and resizing close it and open the next, deletion closes the last.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class AllocationLedger {

    @Inject
    EntityManager em;

    /** Closes the open period of the instance, if any, and opens one with its current allocation. */
    public void record(Instance instance, boolean running) {
        Instant now = Clock.now();
        close(instance.id, now);
        open(instance, running, now);
    }

    /** Opens the first period of an instance created in this transaction (it has none to close). */
    public void openFirst(Instance instance, boolean running) {
        open(instance, running, Clock.now());
    }

    private void open(Instance instance, boolean running, Instant now) {
        AllocationPeriod period = new AllocationPeriod();
        period.instanceId = instance.id;
        period.tenantId = instance.tenantId;
        period.hostId = instance.hostId;
        period.image = instance.image;
        period.running = running;
        period.vcpus = instance.vcpus;
        period.memoryMiB = instance.memoryMiB;
        period.diskGiB = instance.diskGiB;
        period.startedAt = now;
        em.persist(period);
    }

    /** Ends the instance's open period: it holds nothing from now on. */
    public void end(UUID instanceId) {
        close(instanceId, Clock.now());
    }

    private void close(UUID instanceId, Instant at) {
        // SQL, not HQL: Hibernate translates an HQL update anew on every call (it caches only selects).
        em.createNativeQuery("update allocation_periods set ended_at = ?1 where instance_id = ?2 and ended_at is null")
                .setParameter(1, at)
                .setParameter(2, instanceId)
                .executeUpdate();
    }
}
