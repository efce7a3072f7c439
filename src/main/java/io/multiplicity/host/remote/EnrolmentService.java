package io.multiplicity.host.remote;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.host.Host;
import io.multiplicity.host.HostsConfig;
import io.multiplicity.host.contract.AgentProtocol.EnrolmentAnswer;
import io.multiplicity.host.contract.AgentProtocol.EnrolmentRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Enrolment of host agents that run as processes of their own. A platform admin creates a one-time
 * token (stored only as its SHA-256, valid for {@link HostsConfig#enrolmentTokenLifetime()}); the
 * agent sends it with a certificate request, and gets its host identity and a certificate the agent
 * authority signed. The token is spent by the first enrolment; a refused enrolment writes nothing.
 */
@ApplicationScoped
@Transactional
public class EnrolmentService {

    private static final Logger LOG = Logger.getLogger(EnrolmentService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Error codes of a refused enrolment. */
    public static final String TOKEN_REFUSED = "enrolment_token_refused";
    public static final String TOKEN_USED = "enrolment_token_used";
    public static final String TOKEN_EXPIRED = "enrolment_token_expired";
    public static final String IDENTITY_TAKEN = "host_identity_taken";

    @Inject
    EntityManager em;

    @Inject
    AgentAuthority authority;

    @Inject
    HostsConfig config;

    @Inject
    Event<HostEnrolled> enrolled;

    /** A new token (shown once) and when it expires. */
    public record CreatedToken(String token, Instant expiresAt, UUID hostId) {
    }

    /**
     * Creates a one-time enrolment token; with {@code hostId}, one that re-enrols that host only (new
     * credentials for it, the way an agent's certificate is rotated).
     */
    public CreatedToken createToken(String createdBy, UUID hostId) {
        if (hostId != null && em.find(Host.class, hostId) == null) {
            throw ApiException.notFound("host", hostId);
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Instant now = Clock.now();
        Instant expiresAt = now.plus(config.enrolmentTokenLifetime());
        em.createNativeQuery("insert into host_enrolment_tokens (id, token_sha256, host_id, created_by, created_at,"
                        + " expires_at) values (?1, ?2, ?3, ?4, ?5, ?6)")
                .setParameter(1, UUID.randomUUID())
                .setParameter(2, sha256(token))
                .setParameter(3, hostId)
                .setParameter(4, createdBy)
                .setParameter(5, now)
                .setParameter(6, expiresAt)
                .executeUpdate();
        return new CreatedToken(token, expiresAt, hostId);
    }

    /** Enrols an agent; refuses a missing, unknown, spent or expired token with 401 and changes nothing. */
    public EnrolmentAnswer enrol(EnrolmentRequest request) {
        if (request == null || request.token() == null || request.token().isBlank()) {
            throw new ApiException(401, TOKEN_REFUSED, "an enrolment needs a token a platform admin created", null);
        }
        URI agentUrl = agentUrl(request.url());
        String name = hostName(request.name());
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("select id, host_id, expires_at, used_at from host_enrolment_tokens"
                        + " where token_sha256 = ?1 for update")
                .setParameter(1, sha256(request.token()))
                .getResultList();
        if (rows.isEmpty()) {
            throw new ApiException(401, TOKEN_REFUSED, "the enrolment token is not known", null);
        }
        Object[] token = rows.get(0);
        Instant now = Clock.now();
        if (token[3] != null) {
            throw new ApiException(401, TOKEN_USED, "the enrolment token was used already; ask for a new one", null);
        }
        if (instant(token[2]).isBefore(now)) {
            throw new ApiException(401, TOKEN_EXPIRED, "the enrolment token has expired; ask for a new one", null);
        }
        UUID boundHost = (UUID) token[1];
        Host host;
        if (boundHost != null) {
            if (request.hostId() != null && !request.hostId().equals(boundHost)) {
                throw ApiException.conflict(IDENTITY_TAKEN, "this token re-enrols host " + boundHost
                        + ", not the host " + request.hostId(), Map.of("hostId", boundHost));
            }
            host = em.find(Host.class, boundHost);
        } else {
            if (request.hostId() != null && em.find(Host.class, request.hostId()) != null) {
                throw ApiException.conflict(IDENTITY_TAKEN, "a host with the identity " + request.hostId()
                        + " is enrolled already; re-enrolling it needs a token created for it",
                        Map.of("hostId", request.hostId()));
            }
            host = newHost(request.hostId() != null ? request.hostId() : UUID.randomUUID(), name, now);
        }
        AgentAuthority.Signed signed;
        try {
            signed = authority.signAgent(request.certificateRequest(), host.id, agentUrl);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_certificate_request", e.getMessage(), null);
        }
        host.agentUrl = agentUrl.toString();
        host.local = false;
        host.persist();
        em.createNativeQuery("update hosts set agent_certificate_serial = ?1 where id = ?2")
                .setParameter(1, signed.serial()).setParameter(2, host.id).executeUpdate();
        em.createNativeQuery("update host_enrolment_tokens set used_at = ?1, used_by_host = ?2 where id = ?3")
                .setParameter(1, now).setParameter(2, host.id).setParameter(3, token[0]).executeUpdate();
        enrolled.fire(new HostEnrolled(host.id));
        LOG.infof("host %s (%s) enrolled; its agent is at %s", host.name, host.id, agentUrl);
        return new EnrolmentAnswer(host.id, signed.certificatePem(), authority.certificatePem());
    }

    private Host newHost(UUID id, String name, Instant now) {
        Host host = new Host();
        host.id = id;
        host.name = Host.count("name", name) == 0 ? name : name + "-" + id.toString().substring(0, 8);
        host.state = "ready";
        host.kinds = "";
        host.cpuRatio = config.cpuRatio();
        host.memoryRatio = config.memoryRatio();
        host.diskRatio = config.diskRatio();
        host.reservedMemoryMiB = 0;
        host.createdAt = now;
        if (host.cpuRatio == null) {
            host.cpuRatio = BigDecimal.ONE;
        }
        return host;
    }

    private static URI agentUrl(String url) {
        try {
            URI uri = new URI(url == null ? "" : url);
            if (!"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1 || uri.getRawPath() != null
                    && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/") || url.length() > 500) {
                throw ApiException.badRequest("invalid_agent_url",
                        "the agent's URL must be https://host:port, where the control plane reaches it", null);
            }
            return new URI("https", null, uri.getHost(), uri.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            throw ApiException.badRequest("invalid_agent_url", "the agent's URL is not a URL: " + e.getMessage(), null);
        }
    }

    private static String hostName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,52}[A-Za-z0-9])?")) {
            throw ApiException.badRequest("invalid_name", "a host name is 1 to 54 letters, digits, dots and dashes", null);
        }
        return name;
    }

    private static Instant instant(Object value) {
        if (value instanceof Instant instant) {
            return instant;
        }
        if (value instanceof java.sql.Timestamp timestamp) {
            return timestamp.toInstant();
        }
        if (value instanceof java.time.OffsetDateTime offset) {
            return offset.toInstant();
        }
        throw new IllegalStateException("unexpected time " + value);
    }

    static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
