package io.multiplicity.network;

import io.multiplicity.host.HostDrivers;
import io.multiplicity.tenant.TenantEgressChanged;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Takes a tenant's egress switch to every host where the tenant has a network, once the change is
 * committed: its running instances gain or lose the way out at once. A host that cannot be reached
 * now gets it with the next instance it starts of that tenant (every network attachment carries it).
 */
@ApplicationScoped
public class EgressPropagation {

    private static final Logger LOG = Logger.getLogger(EgressPropagation.class);

    @Inject
    HostDrivers hosts;

    void onChange(@Observes(during = TransactionPhase.AFTER_SUCCESS) TenantEgressChanged change) {
        List<TenantNetwork> networks = QuarkusTransaction.requiringNew().call(() ->
                TenantNetwork.<TenantNetwork>list("tenantId", change.tenantId()));
        for (TenantNetwork network : networks) {
            try {
                hosts.forHost(network.hostId).networkEgress(network.vlan, change.egress());
            } catch (RuntimeException e) {
                LOG.warnf("could not switch egress %s on host %s for tenant %s: %s; it applies at the next start",
                        change.egress() ? "on" : "off", network.hostId, change.tenantId(), e.getMessage());
            }
        }
    }
}
