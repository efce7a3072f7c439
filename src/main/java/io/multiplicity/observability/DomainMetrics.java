package io.multiplicity.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.multiplicity.console.ConsoleGateway;
import io.multiplicity.host.HostService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The panel's domain metrics, besides those counted where things happen (operations finished and
 * their duration in {@code OperationWorker}, admission refusals in {@code ErrorMappers}, imported
 * image bytes in {@code ImageImports}):
 * <ul>
 * <li>{@code multiplicity_instances{kind,state}}: live instances by actual state and kind;</li>
 * <li>{@code multiplicity_host_allocatable{host,resource}} and {@code multiplicity_host_allocated}:
 * each host's capacity after overcommit and reservations, and what its instances hold
 * ({@code vcpus}, {@code memory_mib}, {@code disk_gib});</li>
 * <li>{@code multiplicity_console_sessions_open}: console sessions this replica serves.</li>
 * </ul>
 * The database-backed gauges are read every {@code multiplicity.metrics.refresh-interval}.
 */
@ApplicationScoped
public class DomainMetrics {

    public static final String INSTANCES = "multiplicity.instances";
    public static final String HOST_ALLOCATABLE = "multiplicity.host.allocatable";
    public static final String HOST_ALLOCATED = "multiplicity.host.allocated";
    public static final String CONSOLE_SESSIONS = "multiplicity.console.sessions.open";

    private static final Logger LOG = Logger.getLogger(DomainMetrics.class);

    @Inject
    MeterRegistry registry;

    @Inject
    EntityManager em;

    @Inject
    HostService hosts;

    @Inject
    ConsoleGateway consoles;

    /** One holder per gauge (name and tags); a gauge that no longer applies reads 0. */
    private final Map<String, Map<Tags, AtomicLong>> gauges = new ConcurrentHashMap<>();

    void start(@Observes StartupEvent event) {
        registry.gauge(CONSOLE_SESSIONS, Tags.empty(), consoles, gateway -> gateway.liveSessions().size());
        refresh();
    }

    @Scheduled(every = "${multiplicity.metrics.refresh-interval}", delayed = "${multiplicity.metrics.refresh-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                refreshInstances();
                refreshHosts();
            });
        } catch (RuntimeException e) {
            LOG.warnf("domain metrics could not be read: %s", e.getMessage());
        }
    }

    private void refreshInstances() {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("select kind, actual_state, count(*) from instances"
                + " where deleted_at is null group by kind, actual_state").getResultList();
        Map<Tags, Long> values = new ConcurrentHashMap<>();
        for (Object[] row : rows) {
            values.put(Tags.of("kind", String.valueOf(row[0]), "state", String.valueOf(row[1])),
                    ((Number) row[2]).longValue());
        }
        set(INSTANCES, values);
    }

    private void refreshHosts() {
        Map<Tags, Long> allocatable = new ConcurrentHashMap<>();
        Map<Tags, Long> allocated = new ConcurrentHashMap<>();
        for (HostService.HostSummary summary : hosts.list()) {
            String host = summary.host().name;
            allocatable.put(Tags.of("host", host, "resource", "vcpus"), summary.host().allocatableVcpus());
            allocatable.put(Tags.of("host", host, "resource", "memory_mib"), summary.host().allocatableMemoryMiB());
            allocatable.put(Tags.of("host", host, "resource", "disk_gib"), summary.host().allocatableStorageGiB());
            allocated.put(Tags.of("host", host, "resource", "vcpus"), summary.allocated().vcpus());
            allocated.put(Tags.of("host", host, "resource", "memory_mib"), summary.allocated().memoryMiB());
            allocated.put(Tags.of("host", host, "resource", "disk_gib"), summary.allocated().diskGiB());
        }
        set(HOST_ALLOCATABLE, allocatable);
        set(HOST_ALLOCATED, allocated);
    }

    private void set(String name, Map<Tags, Long> values) {
        Map<Tags, AtomicLong> holders = gauges.computeIfAbsent(name, key -> new ConcurrentHashMap<>());
        Set<Tags> seen = new HashSet<>(values.keySet());
        values.forEach((tags, value) -> holders.computeIfAbsent(tags,
                key -> registry.gauge(name, key, new AtomicLong())).set(value));
        holders.forEach((tags, holder) -> {
            if (!seen.contains(tags)) {
                holder.set(0);
            }
        });
    }
}
