package io.multiplicity.support;

import io.quarkus.test.common.QuarkusTestResource;

/**
 * Declares, for every @QuarkusTest, the real services the application runs against: PostgreSQL and
 * Keycloak.
 */
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KeycloakTestResource.class, restrictToAnnotatedClass = false)
public final class RealServices {

    private RealServices() {
    }
}
