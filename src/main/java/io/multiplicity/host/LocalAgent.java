package io.multiplicity.host;

import io.multiplicity.common.Clock;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.HostFacts;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
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

    void onStart(@Observes @Priority(10) StartupEvent event) {
        if (!config.localAgent()) {
            return;
        }
        HostFacts facts = driver.facts();
        String name = config.localName().orElse(facts.hostname());
        hostId = QuarkusTransaction.requiringNew().call(() -> register(name, facts));
        LOG.infof("local host %s registered: %d CPUs, %d MiB, %d GiB storage, runs %s%s", name, facts.cpus(),
                facts.memoryMiB(), facts.storageGiB(), facts.kinds().isEmpty() ? "nothing" : facts.kinds(),
                facts.problems().isEmpty() ? "" : " (" + facts.problems() + ")");
    }

    private UUID register(String name, HostFacts facts) {
        Host host = Host.find("name", name).firstResult();
        Instant now = Clock.now();
        if (host == null) {
            host = new Host();
            host.id = UUID.randomUUID();
            host.name = name;
            host.state = "ready";
            host.cpuRatio = config.cpuRatio();
            host.memoryRatio = config.memoryRatio();
            host.diskRatio = config.diskRatio();
            host.reservedMemoryMiB = Math.min(config.reservedMemoryMiB(), facts.memoryMiB() / 2);
            host.createdAt = now;
        }
        host.local = true;
        host.cpus = facts.cpus();
        host.memoryMiB = facts.memoryMiB();
        host.storageGiB = facts.storageGiB();
        host.kinds = String.join(",", facts.kinds().stream().sorted().toList());
        Map<String, Object> recorded = new HashMap<>();
        recorded.put("runtimes", facts.runtimes());
        recorded.put("problems", facts.problems());
        host.facts = recorded;
        host.lastSeen = now;
        if (host.cpuRatio == null) {
            host.cpuRatio = BigDecimal.ONE;
        }
        host.persist();
        return host.id;
    }

    /** The local host's id, or null when no local agent runs. */
    UUID hostId() {
        return hostId;
    }

    HostDriver driver() {
        return driver;
    }
}
