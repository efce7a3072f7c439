package io.multiplicity.identity;

import io.quarkus.oidc.TenantResolver;
import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Chooses the OIDC configuration of a request. The portal signs in at {@code /login} with the
 * authorization code flow ("web") and then calls the API with its session cookie; scripts and other
 * clients call the API with bearer tokens (the default configuration). A request that carries an
 * {@code Authorization} header is always a bearer request.
 */
@ApplicationScoped
public class PortalTenantResolver implements TenantResolver {

    static final String WEB = "web";
    static final String SESSION_COOKIE = "q_session_" + WEB;

    @Override
    public String resolve(RoutingContext context) {
        String path = context.normalizedPath();
        if (path.equals("/login") || path.startsWith("/login/") || path.equals("/logout")) {
            return WEB;
        }
        if (context.request().getHeader("Authorization") == null && hasSession(context)) {
            return WEB;
        }
        return null;
    }

    private static boolean hasSession(RoutingContext context) {
        for (Cookie cookie : context.request().cookies()) {
            if (cookie.getName().equals(SESSION_COOKIE) || cookie.getName().startsWith(SESSION_COOKIE + "_chunk")) {
                return true;
            }
        }
        return false;
    }
}
