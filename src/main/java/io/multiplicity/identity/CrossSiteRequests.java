package io.multiplicity.identity;

import io.multiplicity.common.ErrorMappers;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses cross-site requests that would change something with the portal's session cookie. The
 * cookie is SameSite=Lax, which keeps it off cross-site POSTs from modern browsers; beyond that, a
 * mutating API request that the session cookie authenticates must carry the header the portal
 * sends with every call ({@code X-Requested-With}: a page of another site can only add it through
 * a CORS preflight, which this server never grants) and, when the browser names its origin, come
 * from this server's own. Bearer-token requests (scripts) carry no ambient credential and are not
 * concerned.
 */
public class CrossSiteRequests {

    static final String HEADER = "X-Requested-With";
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");

    @ServerRequestFilter(preMatching = true)
    public Response refuseCrossSite(ContainerRequestContext request) {
        if (SAFE.contains(request.getMethod()) || !request.getUriInfo().getPath().startsWith("/api/")
                || request.getHeaderString("Authorization") != null || !hasSession(request)) {
            return null;
        }
        if (request.getHeaderString(HEADER) == null) {
            return ErrorMappers.error(403, "cross_site_refused", "a change through the portal's session needs the "
                    + HEADER + " header the portal sends", null);
        }
        String origin = request.getHeaderString("Origin");
        if (origin != null && !sameOrigin(origin, request)) {
            return ErrorMappers.error(403, "cross_site_refused", "a change through the portal's session must come from"
                    + " the portal's own origin, not " + origin, null);
        }
        return null;
    }

    private static boolean hasSession(ContainerRequestContext request) {
        for (Cookie cookie : request.getCookies().values()) {
            if (cookie.getName().equals(PortalTenantResolver.SESSION_COOKIE)
                    || cookie.getName().startsWith(PortalTenantResolver.SESSION_COOKIE + "_chunk")) {
                return true;
            }
        }
        return false;
    }

    /** The origin's host and port are those the request was sent to (what the browser's address bar shows). */
    private static boolean sameOrigin(String origin, ContainerRequestContext request) {
        try {
            URI from = URI.create(origin);
            if (from.getHost() == null) {
                return false;
            }
            String expected = from.getPort() < 0 ? from.getHost() : from.getHost() + ":" + from.getPort();
            String withDefaultPort = from.getHost() + ("https".equals(from.getScheme()) ? ":443" : ":80");
            // behind a reverse proxy, the host the browser addressed is the forwarded one
            for (String host : new String[] {request.getHeaderString("X-Forwarded-Host"), request.getHeaderString("Host")}) {
                if (host != null && (expected.equalsIgnoreCase(host.strip())
                        || (from.getPort() < 0 && withDefaultPort.equalsIgnoreCase(host.strip())))) {
                    return true;
                }
            }
            return false;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
