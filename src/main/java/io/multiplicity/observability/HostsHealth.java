package io.multiplicity.observability;

import io.multiplicity.host.Host;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the hosts: with hosts enrolled, the panel is ready when at least one of them is ready
 * to run instances. Each host's state is in the check's data ({@code host.<name>: ready|…}); one
 * host that is not ready does not make a panel with other ready hosts unready, and a control plane
 * with no host enrolled yet is ready, so that hosts can enroll through it.
 */
@Readiness
@ApplicationScoped
public class HostsHealth implements HealthCheck {

    static final String NAME = "hosts";
    private static final String READY = "ready";

    @Override
    public HealthCheckResponse call() {
        List<Host> hosts = QuarkusTransaction.requiringNew().call(() -> Host.<Host>list("order by name"));
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME);
        long ready = 0;
        for (Host host : hosts) {
            response.withData("host." + host.name, host.state);
            if (READY.equals(host.state)) {
                ready++;
            }
        }
        return response.withData("ready", ready).withData("total", hosts.size()).status(hosts.isEmpty() || ready > 0).build();
    }
}
