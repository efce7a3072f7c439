package io.multiplicity.host;

import io.multiplicity.operation.OperationReach;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.UUID;

/** The hosts this replica reaches, for the operation worker's claims. */
@ApplicationScoped
class HostReach implements OperationReach {

    @Inject
    HostDrivers hosts;

    @Override
    public Set<UUID> reachableHosts() {
        return hosts.reachableIds();
    }
}
