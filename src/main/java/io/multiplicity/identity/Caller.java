package io.multiplicity.identity;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.ClientAddresses;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who is calling: the user, their tenant and roles, resolved once per request from the token and
 * then passed on as a value. Every tenant-scoped query takes its tenant from here.
 */
@RequestScoped
public class Caller {

    @Inject
    SecurityIdentity identity;

    @Inject
    IdentityDirectory directory;

    @Inject
    IdentityConfig config;

    @Inject
    RoutingContext routing;

    private Principal resolved;

    /**
     * The resolved caller.
     *
     * @param userId      the user's mirror id
     * @param username    preferred user name
     * @param tenantId    the tenant the user acts for; null for a platform admin without a tenant
     * @param tenantSlug  that tenant's name
     * @param roles       realm roles
     * @param address     client address
     * @param apiTokenId  the API token the request came with; null for a person's login
     */
    public record Principal(UUID userId, String username, UUID tenantId, String tenantSlug, Set<String> roles,
                            String address, UUID apiTokenId) {

        /** Whether the caller is an API token rather than a person signed in at the identity provider. */
        public boolean isApiToken() {
            return apiTokenId != null;
        }

        public boolean isPlatformAdmin() {
            return roles.contains(Roles.PLATFORM_ADMIN);
        }
    }

    public Principal get() {
        if (resolved == null) {
            resolved = resolve();
        }
        return resolved;
    }

    /** The caller's tenant; 403 for users that act for none. */
    public UUID requireTenant() {
        Principal principal = get();
        if (principal.tenantId() == null) {
            throw ApiException.forbidden("your account belongs to no tenant");
        }
        return principal.tenantId();
    }

    /** The tenant to scope queries by, or null when the caller may see every tenant. */
    public UUID tenantScope() {
        Principal principal = get();
        if (principal.isPlatformAdmin()) {
            return null;
        }
        return requireTenant();
    }

    /** The client address if there is a request, for the audit log. */
    public String address() {
        return get().address();
    }

    private Principal resolve() {
        if (identity.isAnonymous()) {
            throw new UnauthorizedException();
        }
        String address = routing != null && routing.request().remoteAddress() != null
                ? ClientAddresses.normalize(routing.request().remoteAddress().hostAddress())
                : null;
        if (identity.getPrincipal() instanceof ApiTokenPrincipal token) {
            return new Principal(token.userId(), token.getName(), token.tenantId(), token.tenantSlug(),
                    Set.copyOf(identity.getRoles()), address, token.tokenId());
        }
        String subject = identity.getPrincipal().getName();
        String username = subject;
        String email = null;
        List<String> tenants = List.of();
        if (identity.getPrincipal() instanceof JsonWebToken jwt) {
            subject = jwt.getSubject() != null ? jwt.getSubject() : subject;
            username = firstNonNull(jwt.getClaim("preferred_username"), jwt.getName(), subject);
            email = jwt.getClaim("email");
            tenants = tenantNames(jwt.getClaim(config.tenantClaim()));
        }
        String tenantSlug = chooseTenant(tenants);
        IdentityDirectory.Mirror mirror = directory.mirror(subject, username, email, tenantSlug);
        return new Principal(mirror.userId(), username, mirror.tenantId(), tenantSlug, Set.copyOf(identity.getRoles()),
                address, null);
    }

    private String chooseTenant(List<String> tenants) {
        if (tenants.isEmpty()) {
            return null;
        }
        if (tenants.size() == 1) {
            return tenants.get(0);
        }
        String chosen = routing != null ? routing.request().getHeader(config.tenantHeader()) : null;
        if (chosen != null && tenants.contains(chosen)) {
            return chosen;
        }
        throw ApiException.forbidden("you belong to several tenants " + tenants + "; choose one with the "
                + config.tenantHeader() + " header");
    }

    static List<String> tenantNames(Object claim) {
        List<String> names = new ArrayList<>();
        if (claim instanceof Collection<?> values) {
            values.forEach(value -> names.add(lastSegment(unquote(String.valueOf(value)))));
        } else if (claim instanceof jakarta.json.JsonArray array) {
            array.forEach(value -> names.add(lastSegment(unquote(value.toString()))));
        } else if (claim != null) {
            names.add(lastSegment(unquote(claim.toString())));
        }
        names.removeIf(String::isBlank);
        return names.stream().distinct().toList();
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1)
                : value;
    }

    private static String lastSegment(String value) {
        int slash = value.lastIndexOf('/');
        return slash < 0 ? value : value.substring(slash + 1);
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T value : values) {
            if (value != null) {
                return value;
            }
        }
        return null;
    }
}
