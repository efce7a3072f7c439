package io.multiplicity.token;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.common.Cursors;
import io.multiplicity.common.Page;
import io.multiplicity.identity.ApiTokenPrincipal;
import io.multiplicity.identity.Caller;
import io.multiplicity.identity.Roles;
import io.multiplicity.tenant.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * API tokens: issued by a tenant admin for their tenant (or by a platform admin for the platform)
 * with a role no higher than the creator's, listed, revoked, and checked on every request that
 * presents one. Platform admins see and may revoke every tenant's tokens too. A check reads the database each time, so a revocation holds from the next request.
 */
@ApplicationScoped
@Transactional
public class ApiTokenService {

    /** Audit actions of this feature. */
    static final String CREATED = "api-token.create";
    static final String REVOKED = "api-token.revoke";
    static final String USED = "api-token.use";
    static final String TARGET = "api-token";

    private static final List<String> TENANT_ROLES = List.of(Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER);
    private static final List<String> PLATFORM_ROLES = List.of(Roles.PLATFORM_ADMIN);

    /** What a token is now. */
    @Schema(name = "ApiTokenState")
    public enum State { active, expired, revoked }

    /**
     * A token as its tenant's admins see it; never its secret.
     *
     * @param display the token's recognisable beginning, {@code mpt_<lookup>_…}
     */
    @Schema(requiredProperties = {"id", "name", "role", "display", "state", "createdAt", "expiresAt"})
    public record ApiTokenView(UUID id, String name,
                               @Schema(enumeration = {"platform-admin", "tenant-admin", "tenant-member", "tenant-viewer"})
                               String role, String tenant, String display, State state,
                               String createdBy, Instant createdAt, Instant expiresAt, Instant lastUsedAt,
                               String lastUsedFrom, Instant revokedAt) {
    }

    /** A token just created, with its whole text: shown this once, never again. */
    @Schema(requiredProperties = {"token"})
    public record CreatedApiToken(ApiTokenView token, String secret) {
    }

    /** A token that authenticated a request: who it acts as, and with which role. */
    public record Verified(ApiTokenPrincipal principal, String role) {
    }

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    AuditService audit;

    @Inject
    ApiTokensConfig config;

    public CreatedApiToken create(String name, String role, Instant expiresAt) {
        Caller.Principal principal = managingCaller();
        UUID tenantId = principal.isPlatformAdmin() ? null : caller.requireTenant();
        List<String> allowed = tenantId == null ? PLATFORM_ROLES : TENANT_ROLES;
        if (Roles.PLATFORM_ADMIN.equals(role) && !principal.isPlatformAdmin()) {
            throw ApiException.forbidden("a token never gets a role above its creator's");
        }
        if (!allowed.contains(role)) {
            throw ApiException.badRequest("validation_failed", "role must be one of " + allowed,
                    Map.of("field", "role", "allowed", allowed));
        }
        Instant now = Clock.now();
        Instant expires = expiresAt != null ? expiresAt : now.plus(config.defaultLifetime());
        if (!expires.isAfter(now)) {
            throw ApiException.badRequest("validation_failed", "expiresAt must be in the future",
                    Map.of("field", "expiresAt"));
        }
        if (expires.isAfter(now.plus(config.maxLifetime()))) {
            throw ApiException.badRequest("validation_failed", "a token lives at most " + config.maxLifetime().toDays()
                    + " days", Map.of("field", "expiresAt", "maxDays", config.maxLifetime().toDays()));
        }
        // one tenant's creations in order, so the limit and the name check hold under concurrency
        em.createNativeQuery("select pg_advisory_xact_lock(hashtext(?1))")
                .setParameter(1, "api-tokens:" + tenantId).getSingleResult();
        var counting = em.createQuery("select count(t) from ApiToken t where " + scope(tenantId)
                + " and t.revokedAt is null and t.expiresAt > :now", Long.class).setParameter("now", now);
        long live = scoped(counting, tenantId).getSingleResult();
        if (live >= config.maxLivePerTenant()) {
            throw ApiException.conflict("too_many_tokens", "at most " + config.maxLivePerTenant()
                    + " live tokens; revoke one first", Map.of("limit", config.maxLivePerTenant()));
        }
        var naming = em.createQuery("select t.id from ApiToken t where " + scope(tenantId)
                + " and t.revokedAt is null and t.name = :name", UUID.class).setParameter("name", name);
        boolean taken = !scoped(naming, tenantId).getResultList().isEmpty();
        if (taken) {
            throw ApiException.conflict("name_taken", "a token named " + name + " exists already; revoke it first",
                    Map.of("field", "name"));
        }
        ApiTokenSecrets.Fresh fresh = ApiTokenSecrets.generate();
        ApiToken token = new ApiToken();
        token.id = UUID.randomUUID();
        token.tenantId = tenantId;
        token.name = name;
        token.role = role;
        token.prefix = fresh.lookup();
        token.secretHash = ApiTokenSecrets.hash(fresh.text());
        token.userId = UUID.randomUUID();
        token.createdBy = principal.userId();
        token.createdByName = principal.username();
        token.createdAt = now;
        token.expiresAt = expires;
        // the token acts as its own user mirror, so operations and audit entries name it
        em.createNativeQuery("insert into users (id, subject, username, tenant_id, first_seen, last_seen)"
                        + " values (?1, ?2, ?3, ?4, ?5, ?5)")
                .setParameter(1, token.userId)
                .setParameter(2, "api-token:" + token.id)
                .setParameter(3, ApiTokenPrincipal.actorName(name))
                .setParameter(4, tenantId)
                .setParameter(5, now)
                .executeUpdate();
        em.persist(token);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", name);
        details.put("role", role);
        details.put("expiresAt", expires.toString());
        audit.record(tenantId, CREATED, TARGET, token.id, "succeeded", details);
        return new CreatedApiToken(view(token, now), fresh.text());
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Page<ApiTokenView> list(Integer limit, String cursor) {
        managingCaller();
        UUID tenantId = caller.tenantScope();
        int size = Cursors.limit(limit);
        Cursors.Position after = Cursors.decode(cursor);
        StringBuilder query = new StringBuilder("from ApiToken t where 1 = 1");
        Map<String, Object> parameters = new HashMap<>();
        if (tenantId != null) {
            query.append(" and t.tenantId = :tenant");
            parameters.put("tenant", tenantId);
        }
        if (after != null) {
            query.append(" and (t.createdAt < :at or (t.createdAt = :at and t.id < :id))");
            parameters.put("at", after.createdAt());
            parameters.put("id", after.id());
        }
        query.append(" order by t.createdAt desc, t.id desc");
        var typed = em.createQuery(query.toString(), ApiToken.class).setMaxResults(size + 1);
        parameters.forEach(typed::setParameter);
        Page<ApiToken> page = Page.of(typed.getResultList(), size, token -> token.createdAt, token -> token.id);
        Instant now = Clock.now();
        return new Page<>(page.items().stream().map(token -> view(token, now)).toList(), page.next());
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public ApiTokenView get(UUID id) {
        return view(find(id), Clock.now());
    }

    /** Revokes a token: the next request that presents it answers 401. Revoking twice changes nothing. */
    public ApiTokenView revoke(UUID id) {
        ApiToken token = find(id);
        if (token.revokedAt == null) {
            token.revokedAt = Clock.now();
            token.revokedByName = caller.get().username();
            audit.record(token.tenantId, REVOKED, TARGET, token.id, "succeeded", Map.of("name", token.name));
        }
        return view(token, Clock.now());
    }

    /**
     * The token of this text if it is active, recording its use (time, address, and an audit entry
     * naming the request); null if there is none, it does not match, it expired or was revoked.
     */
    public Verified verify(String text, String address, String method, String path) {
        String lookup = ApiTokenSecrets.lookupOf(text);
        if (lookup == null) {
            return null;
        }
        List<ApiToken> found = em.createQuery("from ApiToken t where t.prefix = :prefix", ApiToken.class)
                .setParameter("prefix", lookup).getResultList();
        if (found.isEmpty() || !ApiTokenSecrets.matches(text, found.get(0).secretHash)) {
            return null;
        }
        ApiToken token = found.get(0);
        Instant now = Clock.now();
        if (token.revokedAt != null || !token.expiresAt.isAfter(now)) {
            return null;
        }
        token.lastUsedAt = now;
        token.lastUsedFrom = address;
        String tenantSlug = token.tenantId == null ? null : em.find(Tenant.class, token.tenantId).slug;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", token.name);
        details.put("method", method);
        details.put("path", path);
        audit.recordFor(token.tenantId, token.userId, ApiTokenPrincipal.actorName(token.name), address, USED, TARGET,
                token.id, "succeeded", details);
        return new Verified(new ApiTokenPrincipal(token.id, token.name, token.userId, token.tenantId, tenantSlug),
                token.role);
    }

    /** The caller, if a person allowed to manage tokens: a token never manages tokens (a leaked one cannot breed). */
    private Caller.Principal managingCaller() {
        Caller.Principal principal = caller.get();
        if (principal.isApiToken()) {
            throw ApiException.forbidden("API tokens are managed by people signed in, not by other tokens");
        }
        return principal;
    }

    private ApiToken find(UUID id) {
        managingCaller();
        UUID tenantId = caller.tenantScope();
        ApiToken token = em.find(ApiToken.class, id);
        if (token == null || (tenantId != null && !tenantId.equals(token.tenantId))) {
            throw ApiException.notFound("token", id);
        }
        return token;
    }

    private static String scope(UUID tenantId) {
        return tenantId == null ? "t.tenantId is null" : "t.tenantId = :tenant";
    }

    private static <T> jakarta.persistence.TypedQuery<T> scoped(jakarta.persistence.TypedQuery<T> query, UUID tenantId) {
        return tenantId == null ? query : query.setParameter("tenant", tenantId);
    }

    private ApiTokenView view(ApiToken token, Instant now) {
        State state = token.revokedAt != null ? State.revoked
                : token.expiresAt.isAfter(now) ? State.active : State.expired;
        String tenant = token.tenantId == null ? null : em.find(Tenant.class, token.tenantId).slug;
        return new ApiTokenView(token.id, token.name, token.role, tenant, ApiTokenSecrets.MARKER + token.prefix + "_…",
                state, token.createdByName, token.createdAt, token.expiresAt, token.lastUsedAt, token.lastUsedFrom,
                token.revokedAt);
    }
}
