package io.multiplicity.console;

import io.multiplicity.audit.AuditService;
import io.multiplicity.identity.IdentityProviderUsers;
import io.multiplicity.identity.Roles;
import io.multiplicity.common.Clock;
import io.multiplicity.identity.UserAccount;
import io.multiplicity.token.ApiToken;
import io.multiplicity.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Ends the open console sessions of users whose access was taken away. A ticket is checked
 * against the user's token once, when it is issued; a session can then last for hours. So every
 * {@code multiplicity.console.access-check} (30 s) each replica asks the identity provider where
 * the users of its sessions stand, and ends a session (close code 4406, recorded as its end, and
 * audited) whose user no longer could open it: the account was disabled or deleted, or lost the
 * tenant or the role the session was opened with (a writer who became a viewer reconnects as one).
 * When the identity provider cannot be asked, sessions stay open and the replica says so in its
 * log: an outage of the identity provider must not cut every console.
 */
@ApplicationScoped
public class ConsoleAccessWatch {

    private static final Logger LOG = Logger.getLogger(ConsoleAccessWatch.class);
    private static final Set<String> WRITERS = Set.of(Roles.TENANT_ADMIN, Roles.TENANT_MEMBER);
    private static final Set<String> TENANT_ROLES = Set.of(Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER);

    @Inject
    ConsoleGateway gateway;

    @Inject
    IdentityProviderUsers users;

    @Inject
    AuditService audit;

    private volatile String lastProblem;

    @Scheduled(every = "${multiplicity.console.access-check:30s}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        check();
    }

    /** Checks every session this replica serves; returns how many it ended. */
    public int check() {
        Map<String, ConsoleTickets.Grant> grants = gateway.liveGrants();
        if (grants.isEmpty()) {
            return 0;
        }
        Map<UUID, IdentityProviderUsers.Standing> standings = new HashMap<>();
        int ended = 0;
        for (Map.Entry<String, ConsoleTickets.Grant> entry : grants.entrySet()) {
            ConsoleTickets.Grant grant = entry.getValue();
            IdentityProviderUsers.Standing standing;
            try {
                standing = standings.containsKey(grant.userId()) ? standings.get(grant.userId()) : standing(grant.userId());
            } catch (IdentityProviderUsers.Unreachable e) {
                if (!e.getMessage().equals(lastProblem)) {
                    LOG.warnf("open console sessions are not checked against the identity provider: %s", e.getMessage());
                    lastProblem = e.getMessage();
                }
                return ended;
            }
            lastProblem = null;
            standings.put(grant.userId(), standing);
            String why = whyEnded(grant, standing);
            if (why != null) {
                gateway.end(entry.getKey(), CloseCodes.ACCESS_ENDED, "access ended: " + why);
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("session", grant.sessionId());
                details.put("user", grant.username());
                details.put("reason", why);
                QuarkusTransaction.requiringNew().run(() -> audit.recordAutomatic(grant.tenantId(), "console access check",
                        "console.end", "instance", grant.instanceId(), "succeeded", details));
                ended++;
            }
        }
        return ended;
    }

    /**
     * Where the user behind a session stands; a user the panel has no record of stands nowhere. A
     * session opened with an API token stands where the token does: while it is neither revoked nor
     * expired, with its one role in its tenant.
     */
    private IdentityProviderUsers.Standing standing(UUID userId) throws IdentityProviderUsers.Unreachable {
        IdentityProviderUsers.Standing nowhere = new IdentityProviderUsers.Standing(false, Set.of(), Set.of());
        if (userId == null) {
            return nowhere;
        }
        IdentityProviderUsers.Standing token = QuarkusTransaction.requiringNew().call(() -> {
            ApiToken found = ApiToken.find("userId", userId).firstResult();
            if (found == null) {
                return null;
            }
            if (found.revokedAt != null || !found.expiresAt.isAfter(Clock.now())) {
                return nowhere;
            }
            Tenant tenant = found.tenantId == null ? null : Tenant.findById(found.tenantId);
            return new IdentityProviderUsers.Standing(true, Set.of(found.role),
                    tenant == null ? Set.of() : Set.of(tenant.slug));
        });
        if (token != null) {
            return token;
        }
        String subject = QuarkusTransaction.requiringNew().call(() -> {
            UserAccount account = UserAccount.findById(userId);
            return account == null ? null : account.subject;
        });
        return subject == null ? nowhere : users.standing(subject);
    }

    /** Why the user could no longer open this session, or null while they could. */
    private String whyEnded(ConsoleTickets.Grant grant, IdentityProviderUsers.Standing standing) {
        if (!standing.exists()) {
            return "the account is disabled or deleted";
        }
        if (grant.platformAdmin()) {
            return standing.roles().contains(Roles.PLATFORM_ADMIN) ? null : "no longer a platform admin";
        }
        String tenant = QuarkusTransaction.requiringNew().call(() -> {
            Tenant row = Tenant.findById(grant.tenantId());
            return row == null ? null : row.slug;
        });
        if (tenant == null || !standing.tenants().contains(tenant)) {
            return "no longer a member of the tenant";
        }
        Set<String> allowed = grant.readOnly() ? TENANT_ROLES : WRITERS;
        if (standing.roles().stream().noneMatch(allowed::contains)) {
            return grant.readOnly() ? "no longer holds a tenant role" : "no longer allowed to type into consoles";
        }
        return null;
    }
}
