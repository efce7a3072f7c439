package io.multiplicity.host;

import io.multiplicity.common.Clock;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.HostFacts;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The host agent of this machine when it runs in-process (the single-node install): registers the
 * host with its capacity and capabilities at startup and holds its driver. Only {@link HostDrivers}
 * hands the driver out.
 */
@ApplicationScoped
class LocalAgent {

    private static final Logger LOG = Logger.getLogger(LocalAgent.class);

    @Inject
    HostsConfig config;

    @Inject
    HostDriver driver;

    private volatile UUID hostId;
    /** When the in-process driver last answered a heartbeat (wall time), whether or not it was recorded. */
    private volatile Instant lastAnswered;

    void onStart(@Observes @Priority(10) StartupEvent event) {
        if (!config.localAgent()) {
            return;
        }
        HostFacts facts = driver.facts();
        String name = config.localName().orElse(facts.hostname());
        Host host = QuarkusTransaction.requiringNew().call(() -> register(name, facts));
        if (facts.hostId() == null) {
            driver.enroll(host.id);
            LOG.infof("local host %s enrolled with identity %s", host.name, host.id);
        }
        hostId = host.id;
        LOG.infof("local host %s (%s) registered: %d CPUs, %d MiB, %d GiB storage, runs %s%s", host.name, host.id,
                facts.cpus(), facts.memoryMiB(), facts.storageGiB(), facts.kinds().isEmpty() ? "nothing" : facts.kinds(),
                facts.problems().isEmpty() ? "" : " (" + facts.problems() + ")");
    }

    /**
     * Finds the host's row by the identity the host keeps, never by its name: a renamed host, or one
     * whose name did not resolve at boot, stays the host that holds its instances, and a database that
     * has never heard of the host gets a row with the host's own identity. Only a host that was never
     * enrolled (it predates host identities) is matched by name, once, and then enrolled.
     */
    private Host register(String name, HostFacts facts) {
        Host host = null;
        if (facts.hostId() != null) {
            host = Host.findById(facts.hostId());
        } else {
            host = Host.find("name", name).firstResult();
        }
        Instant now = Clock.now();
        if (host == null) {
            host = new Host();
            host.id = facts.hostId() != null ? facts.hostId() : UUID.randomUUID();
            host.name = Host.count("name", name) == 0 ? name : name + "-" + host.id.toString().substring(0, 8);
            host.state = "ready";
            host.cpuRatio = config.cpuRatio();
            host.memoryRatio = config.memoryRatio();
            host.diskRatio = config.diskRatio();
            host.reservedMemoryMiB = Math.min(config.reservedMemoryMiB(), facts.memoryMiB() / 2);
            host.createdAt = now;
        }
        Host.update("local = false where local = true and id <> ?1", host.id);
        host.local = true;
        host.cpus = facts.cpus();
        host.memoryMiB = facts.memoryMiB();
        host.storageGiB = facts.storageGiB();
        host.kinds = String.join(",", facts.kinds().stream().sorted().toList());
        Map<String, Object> recorded = new HashMap<>();
        recorded.put("runtimes", facts.runtimes());
        recorded.put("problems", facts.problems());
        host.facts = recorded;
        host.lastSeen = Instant.now();  // liveness is wall time, not the clock billing runs on
        if (host.cpuRatio == null) {
            host.cpuRatio = BigDecimal.ONE;
        }
        host.persist();
        return host;
    }

    /**
     * The heartbeat: a host whose driver answers is seen now. Without it "last seen" stayed at the
     * moment the panel started, and a ready host looked lost after a few minutes.
     */
    @Scheduled(every = "${multiplicity.hosts.heartbeat:5s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        UUID id = hostId;
        if (id == null) {
            return;
        }
        try {
            driver.list();
        } catch (RuntimeException e) {
            LOG.debugf("local host %s does not answer: %s", id, e.getMessage());
            return;
        }
        lastAnswered = Instant.now();
        QuarkusTransaction.requiringNew().run(() -> Host.getEntityManager()
                .createNativeQuery("update hosts set last_seen = ?1 where id = ?2")
                .setParameter(1, Instant.now()).setParameter(2, id).executeUpdate());
    }

    /**
     * Whether {@code id} is this replica's in-process host and its driver answered after
     * {@code horizon}. The replica sees that itself: a heartbeat that could not be written (every
     * connection of the pool taken by a burst of requests) does not make the host look silent here.
     */
    boolean answeredSince(UUID id, Instant horizon) {
        Instant answered = lastAnswered;
        return id != null && id.equals(hostId) && answered != null && answered.isAfter(horizon);
    }

    /** The local host's id, or null when no local agent runs. */
    UUID hostId() {
        return hostId;
    }

    HostDriver driver() {
        return driver;
    }
}
