package io.multiplicity.instance;

import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.Quarantine;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Converges what each reachable host runs with what the database wants: instances the host still runs
 * after an agent restart are adopted (their state is read, not restarted), ones that died are marked
 * crashed, and leftovers of instances the database says are deleted are removed. Instances with an
 * operation under way are left to it. What the database has never heard of is never destroyed: it
 * is quarantined ({@link Quarantine}) for an admin to look at.
 */
@ApplicationScoped
public class Reconciler {

    private static final Logger LOG = Logger.getLogger(Reconciler.class);

    @Inject
    HostDrivers hosts;

    @Inject
    InstanceRuntime runtime;

    @Inject
    EntityManager em;

    @Inject
    Event<InstanceRunState> runState;

    @Inject
    Quarantine quarantine;

    @Inject
    RestartPolicy restartPolicy;

    @Inject
    io.multiplicity.host.HostsConfig config;

    private record Row(UUID id, String actualState, String desiredState, boolean busy, java.time.Instant updatedAt,
                       int restarts) {
    }

    @Scheduled(every = "${multiplicity.hosts.reconcile-interval:10s}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        // the hosts no replica has reconciled for most of an interval: each host once, whatever the replicas
        reconcile(hosts.due("reconcile", config.reconcileInterval()));
    }

    /** One pass over every host this process reaches; returns how many instances changed state. */
    public int reconcile() {
        return reconcile(hosts.reachable());
    }

    private int reconcile(Map<UUID, HostDriver> reachable) {
        int changed = 0;
        for (Map.Entry<UUID, HostDriver> host : reachable.entrySet()) {
            // one host that fails is no reason to leave the others: a pass takes its hosts for the
            // interval, and no other replica does them meanwhile
            try {
                changed += reconcile(host.getKey(), host.getValue());
            } catch (RuntimeException e) {
                LOG.warnf("could not reconcile host %s: %s", host.getKey(), e.getMessage());
            }
        }
        return changed;
    }

    private int reconcile(UUID hostId, HostDriver driver) {
        List<Row> rows = QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                        "select i.id, i.actualState, i.desiredState, (select count(o) from Operation o"
                                + " where o.targetId = i.id and o.state in ('pending', 'running')), i.updatedAt, i.restarts"
                                + " from Instance i where i.hostId = :host and i.deletedAt is null", Object[].class)
                .setParameter("host", hostId)
                .getResultList()
                .stream()
                .map(row -> new Row((UUID) row[0], (String) row[1], (String) row[2], ((Number) row[3]).longValue() > 0,
                        (java.time.Instant) row[4], ((Number) row[5]).intValue()))
                .toList());
        // The host is asked after the database: a row read earlier can only be older than what
        // the host shows, and a change made since is caught by the compare-and-set below.
        List<InstanceStatus> actual = driver.list();
        Map<UUID, InstanceStatus> byId = new HashMap<>();
        actual.forEach(status -> byId.put(status.id(), status));

        int changed = 0;
        Set<UUID> live = new HashSet<>();
        for (Row row : rows) {
            live.add(row.id());
            if (row.busy() || InstanceState.PROVISIONING.equals(row.actualState())) {
                continue;
            }
            InstanceStatus status = byId.getOrDefault(row.id(), InstanceStatus.absent(row.id()));
            String observed = observedState(row, status);
            runState.fire(new InstanceRunState(row.id(), InstanceState.RUNNING.equals(observed)));
            if (!observed.equals(row.actualState())
                    && runtime.reconcile(row.id(), row.updatedAt(), observed, detail(status, observed))) {
                LOG.infof("instance %s is %s on the host, was %s", row.id(), observed, row.actualState());
                changed++;
            }
            if ("running".equals(row.desiredState())) {
                if (InstanceState.RUNNING.equals(observed)) {
                    if (row.restarts() > 0) {
                        // only an instance the policy restarted has a count to clear once it is stable
                        restartPolicy.running(row.id());
                    }
                } else if (InstanceState.CRASHED.equals(observed) || InstanceState.STOPPED.equals(observed)) {
                    try {
                        if (restartPolicy.down(row.id())) {
                            LOG.infof("instance %s is down (%s): restarting it by its restart policy", row.id(),
                                    detail(status, observed));
                        }
                    } catch (RuntimeException e) {
                        LOG.warnf("restart policy of %s: %s", row.id(), e.getMessage());
                    }
                }
            }
        }
        List<UUID> unknown = new ArrayList<>();
        for (InstanceStatus status : actual) {
            if (!live.contains(status.id()) && settleLeftover(hostId, driver, status)) {
                unknown.add(status.id());
            }
        }
        quarantine.keepOnly(hostId, unknown);
        return changed;
    }

    /**
     * An instance the host has and the database does not list among the host's live ones. Its row,
     * read right now, decides: a row that says deleted (and no operation on it) lets the reconciler
     * remove the leftovers; no row at all means the database has never heard of it, and it is
     * quarantined, never destroyed; any other row (created or moved since the pass began, or with an
     * operation under way) is left alone. Returns whether it is quarantined.
     */
    private boolean settleLeftover(UUID hostId, HostDriver driver, InstanceStatus status) {
        UUID id = status.id();
        List<Object[]> rows = QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                        "select i.deletedAt, i.hostId, (select count(o) from Operation o where o.targetId = i.id"
                                + " and o.state in ('pending', 'running')) from Instance i where i.id = :id", Object[].class)
                .setParameter("id", id)
                .getResultList());
        if (rows.isEmpty()) {
            quarantine.record(hostId, status);
            return true;
        }
        Object[] row = rows.get(0);
        boolean deleted = row[0] != null;
        boolean busy = ((Number) row[2]).longValue() > 0;
        if (!deleted || busy || !hostId.equals(row[1])) {
            return false;
        }
        LOG.infof("removing leftovers of deleted instance %s", id);
        try {
            driver.destroy(id);
        } catch (RuntimeException e) {
            LOG.warnf("could not remove leftovers of %s: %s", id, e.getMessage());
        }
        return false;
    }

    private String observedState(Row row, InstanceStatus status) {
        return switch (status.state()) {
            case RUNNING -> InstanceState.RUNNING;
            case CRASHED -> InstanceState.CRASHED;
            // a host reports an instance meant to run as stopped only when it stopped from inside
            // (a jail powered off); the restart policy decides what follows
            case STOPPED -> InstanceState.STOPPED;
            case ABSENT -> InstanceState.ERROR;
        };
    }

    private static String detail(InstanceStatus status, String observed) {
        if (status.detail() != null) {
            return status.detail();
        }
        return switch (observed) {
            case InstanceState.CRASHED -> "stopped without being asked to";
            case InstanceState.ERROR -> "the host has no trace of this instance";
            default -> null;
        };
    }
}
