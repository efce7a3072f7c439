package io.multiplicity.console;

import io.multiplicity.accounting.Quotas;
import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.common.RateLimits;
import io.multiplicity.identity.Caller;
import io.multiplicity.identity.Roles;
import io.multiplicity.instance.Instance;
import io.multiplicity.instance.InstanceService;
import io.multiplicity.instance.InstanceState;
import io.multiplicity.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Console tickets: issued to a user for one instance and one console type, valid once and for a
 * short time. The secret is handed out once and stored only as its hash. Redemption happens when
 * the WebSocket opens, possibly on another replica: every check is made against the database, and
 * every refused attempt is audited.
 */
@ApplicationScoped
public class ConsoleTickets {

    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    InstanceService instances;

    @Inject
    Quotas quotas;

    @Inject
    AuditService audit;

    @Inject
    ConsoleConfig config;

    @Inject
    RateLimits limits;

    /** What the client needs to open the console. */
    @Schema(requiredProperties = {"ticket", "url", "expiresAt"})
    public record Issued(String ticket, String url, Instant expiresAt,
                         @Schema(enumeration = {"serial", "vnc"}) String type, boolean readOnly) {
    }

    /**
     * A redeemed ticket: the session may start.
     *
     * @param platformAdmin the ticket was issued to the user as a platform admin (not as a member of the tenant)
     */
    public record Grant(UUID sessionId, UUID tenantId, UUID instanceId, UUID userId, String username, String type,
                        boolean readOnly, boolean platformAdmin) {
    }

    /** Why a ticket was refused, with the WebSocket close code to send. */
    public static final class Refusal extends RuntimeException {

        private final int code;

        public Refusal(int code, String reason) {
            super(reason);
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public Issued issue(UUID instanceId, String type) {
        limits.acquire(RateLimits.Limit.CONSOLE_TICKETS, caller.get().userId());
        return QuarkusTransaction.requiringNew().call(() -> {
            Instance instance = instances.get(instanceId);
            if (!InstanceState.RUNNING.equals(instance.actualState)) {
                throw ApiException.conflict("instance_not_running",
                        "instance " + instance.name + " is " + instance.actualState + "; its console opens when it runs",
                        Map.of("state", instance.actualState));
            }
            if (type.equals("vnc") && !instance.kind.equals("vm")) {
                throw ApiException.badRequest("validation_failed", "jails have a serial console only",
                        Map.of("field", "type"));
            }
            Caller.Principal principal = caller.get();
            boolean readOnly = !(principal.roles().contains(Roles.PLATFORM_ADMIN)
                    || principal.roles().contains(Roles.TENANT_ADMIN) || principal.roles().contains(Roles.TENANT_MEMBER));
            em.find(Tenant.class, instance.tenantId, LockModeType.PESSIMISTIC_WRITE);
            Long limit = quotas.limits(instance.tenantId).consoleSessions();
            // A ticket not yet redeemed is a session on its way: it counts, or a burst of tickets
            // would open more sessions than the quota allows.
            long open = openSessions(instance.tenantId) + outstandingTickets(instance.tenantId);
            if (limit != null && open >= limit) {
                throw ApiException.conflict("quota_exceeded", "the console sessions quota would be exceeded: "
                        + open + " of " + limit + " sessions are open or have a ticket waiting",
                        Map.of("resource", "consoleSessions", "limit", limit, "allocated", open, "requested", 1,
                                "over", open + 1 - limit));
            }
            byte[] secret = new byte[32];
            RANDOM.nextBytes(secret);
            String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            ConsoleTicket row = new ConsoleTicket();
            row.ticketHash = hash(ticket);
            row.userId = principal.userId();
            row.username = principal.username();
            row.tenantId = instance.tenantId;
            row.instanceId = instance.id;
            row.type = type;
            row.readOnly = readOnly;
            row.platformAdmin = principal.isPlatformAdmin();
            row.clientAddress = principal.address();
            row.createdAt = Clock.now();
            row.expiresAt = row.createdAt.plus(config.ticketLifetime());
            em.persist(row);
            audit.record(instance.tenantId, "console.ticket", "instance", instance.id, "accepted",
                    Map.of("type", type, "readOnly", readOnly));
            return new Issued(ticket, "/ws/console/" + type + "/" + ticket, row.expiresAt, type, readOnly);
        });
    }

    /**
     * Redeems a ticket for a console of {@code type}: marks it used and opens the session's audit
     * record, or refuses with the reason and audits the attempt.
     */
    public Grant redeem(String ticket, String type, String clientAddress) {
        // Checked before any database work: a flood of attempts from one address costs no writes.
        if (!limits.tryAcquire(RateLimits.Limit.CONSOLE_CONNECTS, clientAddress)) {
            throw new Refusal(CloseCodes.TRY_AGAIN_LATER, "too many console connections from " + clientAddress
                    + "; try again in a minute");
        }
        if (!wellFormed(ticket)) {
            throw new Refusal(CloseCodes.UNKNOWN_TICKET, "not a console ticket"); // no ticket to audit
        }
        try {
            return QuarkusTransaction.requiringNew().call(() -> redeemChecked(ticket, type, clientAddress));
        } catch (Refusal refusal) {
            QuarkusTransaction.requiringNew().run(() -> auditRefusal(ticket, type, clientAddress, refusal));
            throw refusal;
        }
    }

    /** A ticket is 32 random bytes in URL-safe base64: anything else is not worth a database read. */
    private static boolean wellFormed(String ticket) {
        return ticket != null && ticket.matches("[A-Za-z0-9_-]{43}");
    }

    private Grant redeemChecked(String ticket, String type, String clientAddress) {
        ConsoleTicket row = em.find(ConsoleTicket.class, hash(ticket), LockModeType.PESSIMISTIC_WRITE);
        if (row == null) {
            throw new Refusal(CloseCodes.UNKNOWN_TICKET, "unknown console ticket");
        }
        Instant now = Clock.now();
        if (row.usedAt != null) {
            throw new Refusal(CloseCodes.TICKET_USED, "the ticket was already used at " + row.usedAt);
        }
        if (!row.expiresAt.isAfter(now)) {
            throw new Refusal(CloseCodes.TICKET_EXPIRED, "the ticket expired at " + row.expiresAt);
        }
        if (!row.type.equals(type)) {
            throw new Refusal(CloseCodes.WRONG_TICKET, "the ticket is for a " + row.type + " console, not " + type);
        }
        row.usedAt = now;
        Instance instance = em.find(Instance.class, row.instanceId);
        if (instance == null || instance.deletedAt != null || !instance.tenantId.equals(row.tenantId)) {
            throw new Refusal(CloseCodes.WRONG_TICKET, "the ticket's tenant does not own the instance");
        }
        List<UUID> tenantsOfUser = em.createQuery("select u.tenantId from UserAccount u where u.id = :id", UUID.class)
                .setParameter("id", row.userId).getResultList();
        UUID userTenant = tenantsOfUser.isEmpty() ? null : tenantsOfUser.get(0);
        // A user with no tenant is no platform admin: the ticket says who issued it as one. A tenant's
        // user must still belong to the instance's tenant (it may have been taken away since).
        if (!row.platformAdmin && !row.tenantId.equals(userTenant)) {
            throw new Refusal(CloseCodes.WRONG_TICKET, "the ticket's user no longer belongs to the instance's tenant");
        }
        if (!InstanceState.RUNNING.equals(instance.actualState)) {
            throw new Refusal(CloseCodes.UNAVAILABLE, "the instance is " + instance.actualState);
        }
        ConsoleSession session = new ConsoleSession();
        session.id = UUID.randomUUID();
        session.tenantId = row.tenantId;
        session.instanceId = row.instanceId;
        session.userId = row.userId;
        session.username = row.username;
        session.type = row.type;
        session.readOnly = row.readOnly;
        session.clientAddress = clientAddress;
        session.startedAt = now;
        em.persist(session);
        return new Grant(session.id, row.tenantId, row.instanceId, row.userId, row.username, row.type, row.readOnly,
                row.platformAdmin);
    }

    private void auditRefusal(String ticket, String type, String clientAddress, Refusal refusal) {
        ConsoleTicket row = em.find(ConsoleTicket.class, hash(ticket));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", refusal.getMessage());
        details.put("closeCode", refusal.code());
        details.put("type", type);
        details.put("clientAddress", clientAddress);
        if (row != null) {
            details.put("ticketUser", row.username);
            if (row.usedAt == null) {
                row.usedAt = Clock.now();   // any attempt spends the ticket
            }
        }
        var entry = new io.multiplicity.audit.AuditEntry();
        entry.id = UUID.randomUUID();
        entry.tenantId = row == null ? null : row.tenantId;
        entry.actorId = row == null ? null : row.userId;
        entry.actorName = row == null ? "anonymous" : row.username;
        entry.action = "console.refused";
        entry.targetType = "instance";
        entry.targetId = row == null ? null : row.instanceId;
        entry.outcome = "denied";
        entry.clientAddress = clientAddress;
        entry.details = details;
        entry.createdAt = Clock.now();
        em.persist(entry);
    }

    /** Records how a session ended. */
    public void finish(UUID sessionId, long bytesIn, long bytesOut, String reason, String recording) {
        QuarkusTransaction.requiringNew().run(() -> {
            ConsoleSession session = em.find(ConsoleSession.class, sessionId);
            if (session == null || session.endedAt != null) {
                return;
            }
            session.endedAt = Clock.now();
            session.bytesIn = bytesIn;
            session.bytesOut = bytesOut;
            session.closeReason = reason == null ? null : reason.length() > 200 ? reason.substring(0, 200) : reason;
            session.recording = recording;
        });
    }

    /** Tickets issued to the tenant that are neither redeemed nor expired. */
    private long outstandingTickets(UUID tenantId) {
        return em.createQuery("select count(t) from ConsoleTicket t where t.tenantId = :tenant and t.usedAt is null"
                        + " and t.expiresAt > :now", Long.class)
                .setParameter("tenant", tenantId)
                .setParameter("now", Clock.now())
                .getSingleResult();
    }

    long openSessions(UUID tenantId) {
        return em.createQuery("select count(s) from ConsoleSession s where s.tenantId = :tenant and s.endedAt is null",
                        Long.class)
                .setParameter("tenant", tenantId)
                .getSingleResult();
    }

    static String hash(String ticket) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(ticket.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
