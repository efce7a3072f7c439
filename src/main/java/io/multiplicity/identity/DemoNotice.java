package io.multiplicity.identity;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Says at every start what kind of installation this is when it matters: a demo (known passwords)
 * must never pass for a real one, and a real one must not run on the secret from the repository.
 */
@ApplicationScoped
class DemoNotice {

    private static final Logger LOG = Logger.getLogger(DemoNotice.class);
    /** The panel client's secret in the repository's realm (the demo's). */
    static final String REPOSITORY_SECRET = "multiplicity-panel-dev-secret";

    @Inject
    IdentityConfig config;

    @ConfigProperty(name = "quarkus.oidc.web.credentials.secret")
    String panelSecret;

    void onStart(@Observes StartupEvent event) {
        if (config.demo()) {
            LOG.warn("DEMO INSTALLATION: the identity provider has demo users whose password is their name (admin is a"
                    + " platform admin) and the client secret from the repository; never expose it. A production"
                    + " install: docs/operations.md, 'Production'.");
        } else if (REPOSITORY_SECRET.equals(panelSecret)) {
            LOG.warn("the panel's client secret is the one from the repository: set multiplicity.keycloak.panel-secret"
                    + " (scripts/keycloak.sh start-production generates one)");
        }
    }
}
