package io.multiplicity.host;

import io.multiplicity.common.ApiException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.UUID;

/**
 * Finds the driver that reaches a host's agent: the in-process agent for the local host. Remote
 * agents plug in here behind the same {@link HostDriver} contract, and no caller changes.
 */
@ApplicationScoped
public class HostDrivers {

    @Inject
    LocalAgent localAgent;

    public HostDriver forHost(UUID hostId) {
        Host host = Host.findById(hostId);
        if (host == null) {
            throw ApiException.notFound("host", hostId);
        }
        if (host.local && localAgent.hostId() != null && localAgent.hostId().equals(host.id)) {
            return localAgent.driver();
        }
        throw new IllegalStateException("host " + host.name + " has no reachable agent: the remote agent transport "
                + "is not available in this release");
    }
}
