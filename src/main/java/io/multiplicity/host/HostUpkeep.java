package io.multiplicity.host;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Shares the periodic upkeep of hosts (reconciliation, publication of public access, metering)
 * among the replicas: each pass of a replica takes, in one statement, the hosts it reaches whose
 * task no replica has done for most of an interval, and marks them done. A fleet's upkeep then costs
 * one pass per host and interval whatever the number of replicas, and a replica that goes away
 * leaves its hosts to the others at their next pass. Passes asked for directly (an admin's, a
 * test's) take every host, as before.
 */
@ApplicationScoped
public class HostUpkeep {

    private static final Logger LOG = Logger.getLogger(HostUpkeep.class);

    /** The share of an interval after which a task is due again: passes of several replicas drift. */
    private static final double DUE_AFTER = 0.8;

    @Inject
    EntityManager em;

    /**
     * Of {@code hostIds}, the hosts whose {@code task} is due, now marked done by this replica; the
     * others were done by some replica less than four fifths of {@code interval} ago.
     */
    public Set<UUID> claim(String task, Collection<UUID> hostIds, Duration interval) {
        if (hostIds.isEmpty()) {
            return Set.of();
        }
        long dueAfterMillis = (long) (interval.toMillis() * DUE_AFTER);
        try {
            // The database's clock decides, the same for every replica; rows are taken in one order
            // (the hosts' ids), so two replicas' claims never wait on each other crosswise.
            return QuarkusTransaction.requiringNew().call(() -> {
                Set<UUID> claimed = new HashSet<>();
                for (Object id : em.createNativeQuery("insert into host_upkeep (host_id, task, done_at)"
                                + " select h.id, ?2, now() from hosts h where h.id = any(?1) order by h.id"
                                + " on conflict (host_id, task) do update set done_at = excluded.done_at"
                                + " where host_upkeep.done_at <= excluded.done_at - make_interval(secs => ?3)"
                                + " returning host_id")
                        .setParameter(1, hostIds.toArray(new UUID[0]))
                        .setParameter(2, task)
                        .setParameter(3, dueAfterMillis / 1000.0)
                        .getResultList()) {
                    claimed.add((UUID) id);
                }
                return claimed;
            });
        } catch (RuntimeException e) {
            // a host deleted meanwhile, or the database away: this pass does nothing, the next one retries
            LOG.warnf("could not take the hosts due for %s: %s", task, e.getMessage());
            return Set.of();
        }
    }
}
