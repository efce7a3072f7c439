package io.multiplicity.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.identity.Caller;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * Safe retries of creating requests. A request with an {@code Idempotency-Key} header runs in one
 * transaction with the record of its key: the first one creates and its answer is kept; a retry
 * with the same key and the same body gets that answer again (marked {@code Idempotency-Replayed:
 * true}) and creates nothing; the same key with another body is refused with 422. A concurrent
 * retry waits on the first one's row and then replays it. A request that fails keeps nothing, so it
 * may be retried with the same key. Keys belong to one user acting for one tenant and are kept for
 * {@link IdempotencyConfig#retention()}.
 */
@ApplicationScoped
public class IdempotentRequests {

    public static final String HEADER = "Idempotency-Key";
    public static final String REPLAYED = "Idempotency-Replayed";
    static final int MAX_KEY_LENGTH = 255;

    private static final Logger LOG = Logger.getLogger(IdempotentRequests.class);

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    ObjectMapper json;

    @Inject
    IdempotencyConfig config;

    /** Runs {@code action} once per key; see the class. */
    public Response run(String key, String request, Object body, Supplier<Response> action) {
        return run(key, request, body, action, UnaryOperator.identity());
    }

    /**
     * As {@link #run(String, String, Object, Supplier)}, keeping {@code forReplay} of the answer's
     * body: what a retry may see again (a secret shown once is left out). Without a key, the action
     * runs as it would without this class (its service's own transaction).
     */
    public Response run(String key, String request, Object body, Supplier<Response> action,
                        UnaryOperator<Object> forReplay) {
        return key == null ? action.get() : once(key, request, body, action, forReplay);
    }

    /** The key's row and the action in one transaction. */
    @Transactional
    Response once(String key, String request, Object body, Supplier<Response> action, UnaryOperator<Object> forReplay) {
        if (key.isBlank() || key.length() > MAX_KEY_LENGTH || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw ApiException.badRequest("invalid_idempotency_key", HEADER + " must be 1 to " + MAX_KEY_LENGTH
                    + " visible ASCII characters", Map.of("header", HEADER));
        }
        Caller.Principal principal = caller.get();
        byte[] hash = hash(request, body);
        Instant now = Clock.now();
        UUID id = UUID.randomUUID();
        // waits for a concurrent request with this key to end, then finds its row
        int inserted = em.createNativeQuery("insert into idempotency_keys (id, user_id, tenant_id, idempotency_key,"
                        + " request, request_hash, status, created_at, expires_at) values (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)"
                        + " on conflict do nothing")
                .setParameter(1, id).setParameter(2, principal.userId()).setParameter(3, principal.tenantId())
                .setParameter(4, key).setParameter(5, request).setParameter(6, hash).setParameter(7, now)
                .setParameter(8, now.plus(config.retention()))
                .executeUpdate();
        if (inserted == 0) {
            Stored stored = find(principal, key);
            if (stored.expiresAt().isAfter(now)) {
                if (!stored.request().equals(request) || !MessageDigest.isEqual(stored.hash(), hash)) {
                    throw new ApiException(422, "idempotency_key_reused", "this " + HEADER + " was used for another"
                            + " request (" + stored.request() + ") or another body; use a new key",
                            Map.of("header", HEADER));
                }
                Response.ResponseBuilder replay = Response.status(stored.status()).header(REPLAYED, "true");
                if (stored.body() != null) {
                    replay.type(MediaType.APPLICATION_JSON).entity(stored.body());
                }
                if (stored.location() != null) {
                    replay.header("Location", stored.location());
                }
                return replay.build();
            }
            // expired but not yet cleaned up: the key starts afresh
            em.createNativeQuery("update idempotency_keys set request = ?1, request_hash = ?2, status = 0,"
                            + " response_body = null, location = null, created_at = ?3, expires_at = ?4 where id = ?5")
                    .setParameter(1, request).setParameter(2, hash).setParameter(3, now)
                    .setParameter(4, now.plus(config.retention())).setParameter(5, stored.id())
                    .executeUpdate();
            id = stored.id();
        }
        Response response = action.get();
        String location = response.getLocation() == null ? null : response.getLocation().toString();
        em.createNativeQuery("update idempotency_keys set status = ?1, response_body = ?2, location = ?3 where id = ?4")
                .setParameter(1, response.getStatus())
                .setParameter(2, response.getEntity() == null ? null : serialize(forReplay.apply(response.getEntity())))
                .setParameter(3, location)
                .setParameter(4, id)
                .executeUpdate();
        return response;
    }

    private record Stored(UUID id, String request, byte[] hash, int status, String body, String location,
                          Instant expiresAt) {
    }

    private Stored find(Caller.Principal principal, String key) {
        String tenant = principal.tenantId() == null ? "tenant_id is null" : "tenant_id = ?3";
        var query = em.createNativeQuery("select id, request, request_hash, status, response_body, location, expires_at"
                        + " from idempotency_keys where user_id = ?1 and idempotency_key = ?2 and " + tenant)
                .setParameter(1, principal.userId()).setParameter(2, key);
        if (principal.tenantId() != null) {
            query.setParameter(3, principal.tenantId());
        }
        @SuppressWarnings("unchecked")
        List<Object[]> rows = query.getResultList();
        Object[] row = rows.get(0);
        Instant expires = row[6] instanceof java.time.OffsetDateTime offset ? offset.toInstant() : (Instant) row[6];
        return new Stored((UUID) row[0], (String) row[1], (byte[]) row[2], ((Number) row[3]).intValue(),
                (String) row[4], (String) row[5], expires);
    }

    /** Deletes the keys whose time is over. */
    @Scheduled(every = "${multiplicity.idempotency.cleanup-every:1h}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    @Transactional
    void deleteExpired() {
        int deleted = em.createNativeQuery("delete from idempotency_keys where expires_at < ?1")
                .setParameter(1, Clock.now()).executeUpdate();
        if (deleted > 0) {
            LOG.debugf("deleted %d expired idempotency keys", deleted);
        }
    }

    private byte[] hash(String request, Object body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(request.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) '\n');
            digest.update(json.writeValueAsBytes(body));
            return digest.digest();
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException("cannot hash a request", e);
        }
    }

    private String serialize(Object entity) {
        try {
            return json.writeValueAsString(entity);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot keep an answer", e);
        }
    }
}
