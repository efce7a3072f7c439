package io.multiplicity.console;

import io.multiplicity.common.Clock;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Console sessions outlive nothing: every heartbeat each replica marks the sessions its gateway
 * serves as seen, and closes any session no replica has marked for three heartbeats (the replica
 * that served it crashed or was killed, so its WebSocket is gone and nobody would ever record its
 * end). A closed session stops counting against its tenant's console sessions quota. The same
 * sweep runs at start-up.
 */
@ApplicationScoped
public class SessionLiveness {

    private static final Logger LOG = Logger.getLogger(SessionLiveness.class);

    @Inject
    ConsoleGateway gateway;

    @Inject
    ConsoleConfig config;

    @Inject
    EntityManager em;

    void atStartup(@Observes StartupEvent startup) {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warnf("could not close stale console sessions at start-up: %s", e.getMessage());
        }
    }

    @Scheduled(every = "${multiplicity.console.heartbeat:60s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        touch(gateway.liveSessions());
        sweep();
        // graphics sessions time out on their viewer's input (their screen changes all the time)
        gateway.closeIdleGraphics(Instant.now().minus(config.idleTimeout()), SerialBroker.spoken(config.idleTimeout()));
    }

    /** Marks these sessions as seen now. */
    public void touch(List<UUID> sessions) {
        if (sessions.isEmpty()) {
            return;
        }
        Instant now = Clock.now();
        QuarkusTransaction.requiringNew().run(() -> em.createQuery("update ConsoleSession s set s.seenAt = :now"
                        + " where s.id in :ids and s.endedAt is null")
                .setParameter("now", now)
                .setParameter("ids", sessions)
                .executeUpdate());
    }

    /** Closes the sessions no replica has marked for three heartbeats; returns how many. */
    public int sweep() {
        Instant limit = Clock.now().minus(config.heartbeat().multipliedBy(3));
        List<UUID> ours = gateway.liveSessions();
        int closed = QuarkusTransaction.requiringNew().call(() -> {
            var update = em.createNativeQuery("update console_sessions"
                            + " set ended_at = coalesce(seen_at, started_at),"
                            + " close_reason = 'closed as stale: the console gateway that served it stopped'"
                            + " where ended_at is null and coalesce(seen_at, started_at) < ?1"
                            + (ours.isEmpty() ? "" : " and not (id = any(?2))"))
                    .setParameter(1, limit.atOffset(java.time.ZoneOffset.UTC));
            if (!ours.isEmpty()) {
                update.setParameter(2, ours.toArray(new UUID[0]));
            }
            return update.executeUpdate();
        });
        if (closed > 0) {
            LOG.infof("closed %d console session(s) whose gateway stopped", closed);
        }
        return closed;
    }
}
