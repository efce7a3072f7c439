package io.multiplicity.identity;

import io.quarkus.oidc.TenantResolver;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Chooses the OIDC configuration of a request: the portal's sign-in paths use the authorization
 * code flow ("web"); everything else, the API above all, takes bearer tokens (the default).
 */
@ApplicationScoped
public class PortalTenantResolver implements TenantResolver {

    static final String WEB = "web";

    @Override
    public String resolve(RoutingContext context) {
        String path = context.normalizedPath();
        if (path.equals("/login") || path.startsWith("/login/") || path.equals("/logout")) {
            return WEB;
        }
        return null;
    }
}
