package io.multiplicity.instance;

import io.multiplicity.host.Host;
import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.HostsConfig;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Hosts that stopped reporting: a host whose agent has not been seen by any replica for
 * {@code multiplicity.hosts.unknown-after} has its instances shown as {@code unknown}, not stopped,
 * because they may well still run there. They keep their quota, capacity, address and billing
 * period. When the host reports again the {@link Reconciler} reads their real state from it and
 * records it (adopting what runs, never restarting it). A replica that has not itself been up that
 * long marks nothing: a control plane that was down is not a host that went silent.
 */
@ApplicationScoped
public class SilentHosts {

    private static final Logger LOG = Logger.getLogger(SilentHosts.class);

    /** States an instance keeps while its host is silent: it is being made, removed, or unknown already. */
    private static final Set<String> KEPT = Set.of(InstanceState.UNKNOWN, InstanceState.PROVISIONING,
            InstanceState.DELETING, InstanceState.DELETED);

    @Inject
    HostsConfig config;

    @Inject
    EntityManager em;

    @Inject
    InstanceRuntime runtime;

    @Inject
    HostDrivers drivers;

    // Liveness is wall time (heartbeats record it so), never the clock billing runs on.
    private final Instant started = Instant.now();

    private record Held(UUID id, Instant updatedAt, String hostName, Instant lastSeen, UUID hostId) {
    }

    @Scheduled(every = "${multiplicity.hosts.heartbeat:5s}", delayed = "3s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        markUnknown();
    }

    /** Marks the instances of every silent host unknown; returns how many changed. */
    public int markUnknown() {
        Instant horizon = Instant.now().minus(config.unknownAfter());
        if (started.isAfter(horizon)) {
            return 0;
        }
        List<Held> held = QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                        "select i.id, i.updatedAt, h.name, h.lastSeen, h.id from Instance i, Host h where i.hostId = h.id"
                                + " and h.lastSeen < :horizon and i.deletedAt is null and i.actualState not in :kept",
                        Object[].class)
                .setParameter("horizon", horizon)
                .setParameter("kept", KEPT)
                .getResultList()
                .stream()
                .map(row -> new Held((UUID) row[0], (Instant) row[1], (String) row[2], (Instant) row[3], (UUID) row[4]))
                .filter(instance -> !drivers.answeredHereSince(instance.hostId(), horizon))
                .toList());
        int changed = 0;
        for (Held instance : held) {
            // A compare-and-set on the row as read: an operation or a reconciler pass that changed it since wins.
            if (runtime.reconcile(instance.id(), instance.updatedAt(), InstanceState.UNKNOWN,
                    "host " + instance.hostName() + " has not reported since " + instance.lastSeen())) {
                changed++;
            }
        }
        if (changed > 0) {
            LOG.warnf("%d instance(s) on silent hosts are now unknown", changed);
        }
        return changed;
    }
}
