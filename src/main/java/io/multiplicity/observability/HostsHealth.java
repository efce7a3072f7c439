package io.multiplicity.observability;

import io.multiplicity.host.Host;
import io.multiplicity.host.Placement;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the hosts: with hosts enrolled, the panel is ready when at least one of them is ready
 * to run instances and answers (a host in state ready whose agent went silent, as placement judges
 * it, does not count). Each host's state is in the check's data ({@code host.<name>: ready|silent
 * since …|draining|offline}); one host that is not ready does not make a panel with other ready
 * hosts unready, and a control plane with no host enrolled yet is ready, so that hosts can enroll
 * through it.
 */
@Readiness
@ApplicationScoped
public class HostsHealth implements HealthCheck {

    static final String NAME = "hosts";
    private static final String READY = "ready";

    @Inject
    Placement placement;

    @Override
    public HealthCheckResponse call() {
        List<Host> hosts = QuarkusTransaction.requiringNew().call(() -> Host.<Host>list("order by name"));
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME);
        long ready = 0;
        for (Host host : hosts) {
            if (!READY.equals(host.state)) {
                response.withData("host." + host.name, host.state);
            } else if (placement.silent(host)) {
                response.withData("host." + host.name, host.lastSeen == null ? "silent: never seen"
                        : "silent since " + host.lastSeen);
            } else {
                response.withData("host." + host.name, host.state);
                ready++;
            }
        }
        return response.withData("ready", ready).withData("total", hosts.size()).status(hosts.isEmpty() || ready > 0).build();
    }
}
