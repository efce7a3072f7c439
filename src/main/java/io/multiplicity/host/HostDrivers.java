package io.multiplicity.host;

import io.multiplicity.common.ApiException;
import io.multiplicity.host.contract.HostDriver;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The one door from the control plane to the hosts: every call that reaches a host's agent gets
 * its {@link HostDriver} here, by host, by instance, as the host that stores the catalog's images,
 * or as one of the hosts this process reaches. Today the only agent is the in-process one of the
 * local host ({@link LocalAgent}); a remote agent plugs in here behind the same contract, and no
 * caller changes.
 */
@ApplicationScoped
public class HostDrivers {

    @Inject
    LocalAgent localAgent;

    @Inject
    EntityManager em;

    /** The driver of a host's agent; 404 for an unknown host, IllegalStateException when no agent of it is reachable. */
    public HostDriver forHost(UUID hostId) {
        Host host = QuarkusTransaction.joiningExisting().call(() -> Host.<Host>findById(hostId));
        if (host == null) {
            throw ApiException.notFound("host", hostId);
        }
        if (host.local && isLocal(host.id)) {
            return localAgent.driver();
        }
        throw new IllegalStateException("host " + host.name + " has no reachable agent: the remote agent transport "
                + "is not available in this release");
    }

    /** The driver of the host an instance is placed on; 404 for an unknown instance. */
    public HostDriver forInstance(UUID instanceId) {
        List<UUID> hosts = QuarkusTransaction.joiningExisting().call(() -> em.createQuery(
                        "select i.hostId from Instance i where i.id = :id", UUID.class)
                .setParameter("id", instanceId)
                .getResultList());
        if (hosts.isEmpty()) {
            throw ApiException.notFound("instance", instanceId);
        }
        if (hosts.get(0) == null) {
            throw new IllegalStateException("instance " + instanceId + " is placed on no host");
        }
        return forHost(hosts.get(0));
    }

    /**
     * The driver of the host that stores the catalog's images (on a single node, the local host),
     * or empty when no such host's agent runs in reach.
     */
    public Optional<HostDriver> imageHost() {
        return localAgent.hostId() == null ? Optional.empty() : Optional.of(localAgent.driver());
    }

    /** The hosts whose agents this process reaches, by host id: the reconciler and metering go over these. */
    public Map<UUID, HostDriver> reachable() {
        Map<UUID, HostDriver> reachable = new LinkedHashMap<>();
        if (localAgent.hostId() != null) {
            reachable.put(localAgent.hostId(), localAgent.driver());
        }
        return reachable;
    }

    private boolean isLocal(UUID hostId) {
        return hostId.equals(localAgent.hostId());
    }
}
