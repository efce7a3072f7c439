package io.multiplicity.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Points the application at the tests' real Keycloak (see {@link TestKeycloak}). */
public class KeycloakTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("multiplicity.keycloak.url", TestKeycloak.url());
    }

    @Override
    public void stop() {
    }
}
