package io.multiplicity.host.remote;

import io.multiplicity.host.Host;
import io.multiplicity.host.HostReachable;
import io.multiplicity.host.HostsConfig;
import io.multiplicity.host.contract.HostFacts;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The agents this replica reaches over the network: one {@link RemoteHostDriver} per enrolled host,
 * and a heartbeat that asks each for its facts (capacity, runtimes, problems), records them on the
 * host's row with the time it was seen, and keeps which hosts answered. A host whose agent does not
 * answer is not reachable from here: no operation on its instances is claimed by this replica.
 */
@ApplicationScoped
public class RemoteAgents {

    private static final Logger LOG = Logger.getLogger(RemoteAgents.class);

    @Inject
    AgentAuthority authority;

    @Inject
    Event<HostReachable> reachableEvents;

    @Inject
    HostsConfig config;

    private record Entry(URI url, String serial, RemoteHostDriver driver) {
    }

    /** What a heartbeat needs of a host's row: not its facts, which the heartbeat itself brings. */
    private record Agent(UUID id, String name, String agentUrl, String serial) {

        static Agent of(Host host) {
            return new Agent(host.id, host.name, host.agentUrl, host.agentCertificateSerial);
        }
    }

    private final Map<UUID, Entry> drivers = new ConcurrentHashMap<>();
    private final Set<UUID> reachable = ConcurrentHashMap.newKeySet();
    /** The facts this replica last wrote to each host's row. */
    private final Map<UUID, HostFacts> recorded = new ConcurrentHashMap<>();
    private final ExecutorService calls = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("agent-heartbeat-", 0).factory());

    /**
     * The driver of a remote host's agent at {@code agentUrl}, trusting only the certificate of the
     * host's latest enrolment ({@code serial}, hex; null for a host enrolled before serials were kept).
     * A re-enrolment, through whichever replica, changes the serial on the host's row, and the next
     * call here builds the driver again.
     */
    public RemoteHostDriver driver(UUID hostId, String agentUrl, String serial) {
        URI url = URI.create(agentUrl);
        if (authority.clientCertificateExpiring()) {
            drivers.clear();
        }
        return drivers.compute(hostId, (id, entry) -> entry != null && entry.url().equals(url)
                && java.util.Objects.equals(entry.serial(), serial) ? entry
                : new Entry(url, serial, new RemoteHostDriver(url, authority.contextFor(id, serial)))).driver();
    }

    /** The driver of a remote host's agent, as its row says where it is and which certificate it has. */
    public RemoteHostDriver driver(Host host) {
        return driver(host.id, host.agentUrl, host.agentCertificateSerial);
    }

    /** The remote hosts whose agents answered the last heartbeat. */
    public Set<UUID> reachable() {
        return Set.copyOf(reachable);
    }

    /**
     * A newly enrolled host is asked for its facts at once, alone: hosts enrolled in bulk must not
     * each set off a pass over the whole fleet.
     */
    void onEnrolled(@Observes(during = TransactionPhase.AFTER_SUCCESS) HostEnrolled enrolled) {
        drivers.remove(enrolled.hostId());
        recorded.remove(enrolled.hostId());
        calls.execute(() -> {
            Host host = QuarkusTransaction.requiringNew().call(() -> Host.<Host>findById(enrolled.hostId()));
            if (host != null && host.agentUrl != null && !host.local) {
                beat(List.of(Agent.of(host)));
            }
        });
    }

    @Scheduled(every = "${multiplicity.hosts.heartbeat:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        List<Agent> hosts = QuarkusTransaction.requiringNew().call(() -> Host.getEntityManager().createQuery(
                        "select h.id, h.name, h.agentUrl, h.agentCertificateSerial from Host h"
                                + " where h.agentUrl is not null and h.local = false", Object[].class)
                .getResultStream()
                .map(row -> new Agent((UUID) row[0], (String) row[1], (String) row[2], (String) row[3]))
                .toList());
        beat(hosts);
        reachable.retainAll(hosts.stream().map(Agent::id).toList());
    }

    /** Asks each of the hosts for its facts, records them, and keeps which answered. */
    private void beat(List<Agent> hosts) {
        Map<UUID, Future<HostFacts>> answers = new HashMap<>();
        for (Agent host : hosts) {
            RemoteHostDriver driver = driver(host.id(), host.agentUrl(), host.serial());
            answers.put(host.id(), calls.submit(driver::facts));
        }
        for (Agent host : hosts) {
            try {
                HostFacts facts = answers.get(host.id()).get(15, TimeUnit.SECONDS);
                if (facts.hostId() != null && !facts.hostId().equals(host.id())) {
                    throw new IllegalStateException("the agent reports the identity " + facts.hostId());
                }
                if (facts.equals(recorded.get(host.id()))) {
                    // The facts this replica recorded last: only the time it was seen changes, and
                    // that one column needs no lock (an admin's change to the row meanwhile stays).
                    QuarkusTransaction.requiringNew().run(() -> Host.getEntityManager().createNativeQuery(
                                    "update hosts set last_seen = ?1 where id = ?2")
                            .setParameter(1, Instant.now()).setParameter(2, host.id()).executeUpdate());
                } else {
                    QuarkusTransaction.requiringNew().run(() -> record(host.id(), facts));
                    recorded.put(host.id(), facts);
                }
                if (reachable.add(host.id())) {
                    LOG.infof("host %s (%s) is reachable at %s: %d CPUs, %d MiB, %d GiB, runs %s", host.name(), host.id(),
                            host.agentUrl(), facts.cpus(), facts.memoryMiB(), facts.storageGiB(), facts.kinds());
                    reachableEvents.fire(new HostReachable(host.id()));
                }
            } catch (Exception e) {
                if (reachable.remove(host.id())) {
                    LOG.warnf("host %s (%s) stopped answering at %s: %s", host.name(), host.id(), host.agentUrl(), why(e));
                } else {
                    LOG.debugf("host %s (%s) does not answer at %s: %s", host.name(), host.id(), host.agentUrl(), why(e));
                }
            }
        }
    }

    private static String why(Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        if (e instanceof java.util.concurrent.TimeoutException) {
            return "no answer within 15 s";
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    private void record(UUID hostId, HostFacts facts) {
        // Locked, so the row is read after any admin change in flight commits: the whole row is
        // written back, and an unlocked read lost a cordon or a ratio set meanwhile.
        Host host = Host.findById(hostId, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (host == null) {
            return;
        }
        if (host.lastSeen == null) {
            // The first facts of a newly enrolled host: keep memory for the host itself, as a local host does.
            host.reservedMemoryMiB = Math.min(config.reservedMemoryMiB(), facts.memoryMiB() / 2);
        }
        host.cpus = facts.cpus();
        host.memoryMiB = facts.memoryMiB();
        host.storageGiB = facts.storageGiB();
        host.kinds = String.join(",", facts.kinds().stream().sorted().toList());
        Map<String, Object> recorded = new HashMap<>();
        recorded.put("runtimes", facts.runtimes());
        recorded.put("problems", facts.problems());
        recorded.put("hostname", facts.hostname());
        host.facts = recorded;
        host.lastSeen = Instant.now();  // liveness is wall time, not the clock billing runs on
    }
}
