package io.multiplicity.identity;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.tenant.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the mirrors of identity-provider users and tenants up to date. Writes at most once a minute
 * per user, so a busy client costs no write per request.
 */
@ApplicationScoped
public class IdentityDirectory {

    private static final Duration REFRESH = Duration.ofMinutes(1);

    @Inject
    EntityManager em;

    @Inject
    IdentityConfig config;

    private final ConcurrentHashMap<String, Mirror> mirrors = new ConcurrentHashMap<>();

    /** The database ids for a user and their tenant (null tenant for users without one). */
    public record Mirror(UUID userId, UUID tenantId, String tenantSlug, String username, Instant refreshedAt) {
    }

    public Mirror mirror(String subject, String username, String email, String tenantSlug) {
        Mirror cached = mirrors.get(subject);
        Instant now = Clock.now();
        if (cached != null
                && Objects.equals(cached.tenantSlug(), tenantSlug)
                && Objects.equals(cached.username(), username)
                && cached.refreshedAt().plus(REFRESH).isAfter(now)) {
            return cached;
        }
        Mirror fresh = write(subject, username, email, tenantSlug, now);
        mirrors.put(subject, fresh);
        return fresh;
    }

    @Transactional(Transactional.TxType.REQUIRES_NEW)
    Mirror write(String subject, String username, String email, String tenantSlug, Instant now) {
        UUID tenantId = null;
        if (tenantSlug != null) {
            tenantId = Tenant.findBySlug(tenantSlug).map(tenant -> tenant.id).orElse(null);
            if (tenantId == null) {
                if (!config.autoRegisterTenants()) {
                    throw ApiException.forbidden("tenant '" + tenantSlug + "' is not registered on this platform");
                }
                em.createNativeQuery("insert into tenants (id, slug, display_name, created_at) values (?1, ?2, ?3, ?4)"
                                + " on conflict (slug) do nothing")
                        .setParameter(1, UUID.randomUUID())
                        .setParameter(2, tenantSlug)
                        .setParameter(3, tenantSlug)
                        .setParameter(4, now)
                        .executeUpdate();
                tenantId = Tenant.findBySlug(tenantSlug).orElseThrow().id;
            }
        }
        Object id = em.createNativeQuery("insert into users (id, subject, username, email, tenant_id, first_seen, last_seen)"
                        + " values (?1, ?2, ?3, ?4, ?5, ?6, ?6)"
                        + " on conflict (subject) do update set username = excluded.username, email = excluded.email,"
                        + " tenant_id = excluded.tenant_id, last_seen = excluded.last_seen returning id")
                .setParameter(1, UUID.randomUUID())
                .setParameter(2, subject)
                .setParameter(3, username)
                .setParameter(4, email)
                .setParameter(5, tenantId)
                .setParameter(6, now)
                .getSingleResult();
        return new Mirror((UUID) id, tenantId, tenantSlug, username, now);
    }

    /** Forgets cached mirrors, for instance after a tenant was renamed by an admin. */
    public void invalidate() {
        mirrors.clear();
    }
}
