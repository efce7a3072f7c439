package io.multiplicity.observability;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the identity provider: its OpenID discovery document answers 200 within the
 * timeout. Without it no bearer token can be checked, so the panel is not ready. The answer is
 * kept for a few seconds so that probes and refused requests do not hammer the provider.
 */
@Readiness
@ApplicationScoped
public class IdentityProviderHealth implements HealthCheck {

    static final String NAME = "identity-provider";
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration KEPT = Duration.ofSeconds(5);

    @ConfigProperty(name = "quarkus.oidc.auth-server-url")
    String issuer;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    private record Probe(Instant at, boolean reachable, String detail) {
    }

    private volatile Probe last;

    @Override
    public HealthCheckResponse call() {
        Probe probe = probe();
        return HealthCheckResponse.named(NAME).status(probe.reachable()).withData("issuer", issuer)
                .withData("detail", probe.detail()).build();
    }

    /** Whether the provider answered its discovery document recently. */
    public boolean reachable() {
        return probe().reachable();
    }

    private Probe probe() {
        Probe kept = last;
        if (kept != null && kept.at().plus(KEPT).isAfter(Instant.now())) {
            return kept;
        }
        Probe fresh = fetch();
        last = fresh;
        return fresh;
    }

    private Probe fetch() {
        URI discovery = URI.create(issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration");
        try {
            HttpResponse<Void> response = client.send(HttpRequest.newBuilder(discovery).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            boolean ok = response.statusCode() == 200;
            return new Probe(Instant.now(), ok, ok ? "discovery document served"
                    : "discovery document answered HTTP " + response.statusCode());
        } catch (IOException e) {
            return new Probe(Instant.now(), false, "unreachable: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Probe(Instant.now(), false, "interrupted");
        }
    }
}
