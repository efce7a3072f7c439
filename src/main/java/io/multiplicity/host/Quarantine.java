package io.multiplicity.host;

import io.multiplicity.common.Clock;
import io.multiplicity.host.contract.InstanceStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Instances a host has that the database has never heard of. They are never destroyed on a guess
 * (the database may be the one that lost them: restored from a backup, emptied, or another
 * installation's): the reconciler records them here, logs them once, and leaves their data and
 * processes as they are; platform admins see them per host ({@code GET /admin/hosts/{id}/quarantine}).
 * A record goes away by itself when the database knows the instance again or the host no longer
 * has it.
 */
@ApplicationScoped
@Transactional
public class Quarantine {

    private static final Logger LOG = Logger.getLogger(Quarantine.class);

    /**
     * One quarantined instance.
     *
     * @param instanceId the id the host knows it by
     * @param state      what the host said of it when last seen (running, stopped, crashed)
     * @param detail     the host's detail, if any
     * @param firstSeen  when the reconciler first found it unknown
     * @param lastSeen   when it last did
     */
    public record QuarantinedInstance(UUID instanceId, String state, String detail, Instant firstSeen, Instant lastSeen) {
    }

    @Inject
    EntityManager em;

    /** Records (or refreshes) an instance of {@code hostId} the database does not know. */
    public void record(UUID hostId, InstanceStatus status) {
        Instant now = Clock.now();
        String state = status.state().name().toLowerCase();
        String detail = status.detail() == null ? null : status.detail().substring(0, Math.min(500, status.detail().length()));
        int updated = em.createNativeQuery("update quarantined_instances set last_seen = ?1, state = ?2, detail = ?3"
                        + " where host_id = ?4 and instance_id = ?5")
                .setParameter(1, now.atOffset(java.time.ZoneOffset.UTC)).setParameter(2, state).setParameter(3, detail)
                .setParameter(4, hostId).setParameter(5, status.id())
                .executeUpdate();
        if (updated == 0) {
            em.createNativeQuery("insert into quarantined_instances (host_id, instance_id, state, detail, first_seen,"
                            + " last_seen) values (?1, ?2, ?3, ?4, ?5, ?5) on conflict do nothing")
                    .setParameter(1, hostId).setParameter(2, status.id()).setParameter(3, state).setParameter(4, detail)
                    .setParameter(5, now.atOffset(java.time.ZoneOffset.UTC))
                    .executeUpdate();
            LOG.warnf("host %s has instance %s (%s) that the database has never heard of: quarantined, its data"
                    + " kept; see GET /api/v1/admin/hosts/%s/quarantine", hostId, status.id(), state, hostId);
        }
    }

    /** Forgets the records of {@code hostId} except those of {@code stillUnknown}. */
    public void keepOnly(UUID hostId, Collection<UUID> stillUnknown) {
        if (stillUnknown.isEmpty()) {
            em.createNativeQuery("delete from quarantined_instances where host_id = ?1").setParameter(1, hostId)
                    .executeUpdate();
            return;
        }
        em.createNativeQuery("delete from quarantined_instances where host_id = ?1 and instance_id <> all(?2)")
                .setParameter(1, hostId).setParameter(2, stillUnknown.toArray(new UUID[0]))
                .executeUpdate();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<QuarantinedInstance> of(UUID hostId) {
        List<Object[]> rows = em.createNativeQuery("select instance_id, state, detail, first_seen, last_seen"
                        + " from quarantined_instances where host_id = ?1 order by first_seen, instance_id")
                .setParameter(1, hostId)
                .getResultList();
        return rows.stream().map(row -> new QuarantinedInstance((UUID) row[0], (String) row[1], (String) row[2], instant(row[3]),
                instant(row[4]))).toList();
    }

    private static Instant instant(Object value) {
        if (value instanceof Instant instant) {
            return instant;
        }
        if (value instanceof OffsetDateTime time) {
            return time.toInstant();
        }
        return ((java.sql.Timestamp) value).toInstant();
    }
}
