package io.multiplicity.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.audit.AuditService;
import io.multiplicity.common.Clock;
import io.multiplicity.event.Event;
import io.multiplicity.event.EventCursor;
import io.multiplicity.event.EventService;
import io.multiplicity.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.jboss.logging.Logger;

/**
 * Carries events to webhook endpoints, durably. The fan-out reads the events table in commit order
 * from a position kept in the database and writes one delivery row per matching endpoint in the
 * same transaction, so a restart neither loses nor repeats an event. Deliveries leave per endpoint
 * in event order (only an endpoint's oldest pending delivery is tried), signed; a failure waits
 * {@code backoffBase × 2^(attempts−1)} (at most {@code backoffMax}) before the next attempt, and an
 * endpoint that has failed for {@code disableAfter} without a success is disabled with an event
 * and an audit entry. Replicas share the work: the fan-out position and each delivery are taken
 * with {@code skip locked} and a lease.
 */
@ApplicationScoped
public class WebhookDispatcher {

    public static final String DISABLED_EVENT = "webhook.disabled";
    static final String ACTOR = "webhook-dispatcher";
    static final int FAN_OUT_BATCH = 500;
    static final int DELIVERY_BATCH = 20;

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);

    @Inject
    EntityManager em;

    @Inject
    EventService events;

    @Inject
    AuditService audit;

    @Inject
    WebhooksConfig config;

    @Inject
    ObjectMapper json;

    private volatile HttpClient client;

    /** One event as an endpoint receives it (the signed body). */
    public record WebhookEvent(long id, String type, String tenant, String targetType, UUID target, Instant createdAt,
                               Map<String, Object> payload) {
    }

    /**
     * Sets where fan-out starts on the platform's first start, before the panel serves a request: an
     * endpoint registered and an event recorded in the seconds before the first tick would otherwise
     * fall before that position and never be delivered.
     */
    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        try {
            QuarkusTransaction.requiringNew().run(this::startPosition);
        } catch (RuntimeException e) {
            LOG.warn("could not set where webhook fan-out starts; the first tick will", e);
        }
    }

    /** The first start: deliver what happens from now on, not the history. No-op once a position exists. */
    private void startPosition() {
        EventCursor now = events.now();
        em.createNativeQuery("insert into webhook_fanout_position (id, transaction, event_id) values (1, ?1, ?2)"
                        + " on conflict do nothing")
                .setParameter(1, now.transaction()).setParameter(2, now.id()).executeUpdate();
    }

    @Scheduled(every = "${multiplicity.webhooks.poll-interval:1s}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void run() {
        try {
            while (QuarkusTransaction.requiringNew().call(this::fanOut) == FAN_OUT_BATCH) {
                // a backlog: keep going
            }
            deliverDue();
        } catch (RuntimeException e) {
            LOG.warn("webhook dispatch failed; it resumes at the next tick", e);
        }
    }

    /** Writes the deliveries of the events after the kept position; returns how many events it read. */
    int fanOut() {
        @SuppressWarnings("unchecked")
        List<Object[]> position = em.createNativeQuery("select transaction, event_id from webhook_fanout_position"
                + " where id = 1 for update skip locked").getResultList();
        if (position.isEmpty()) {
            boolean exists = !em.createNativeQuery("select 1 from webhook_fanout_position where id = 1")
                    .getResultList().isEmpty();
            if (!exists) {
                startPosition();  // set at start; here only if that failed
            }
            return 0; // another replica is fanning out
        }
        EventCursor cursor = new EventCursor(((Number) position.get(0)[0]).longValue(),
                ((Number) position.get(0)[1]).longValue());
        List<Event> batch = events.after(null, cursor, FAN_OUT_BATCH).events();
        if (batch.isEmpty()) {
            return 0;
        }
        Map<UUID, List<WebhookEndpoint>> endpoints = new HashMap<>();
        Map<UUID, String> tenants = new HashMap<>();
        Instant now = Clock.now();
        for (Event event : batch) {
            if (event.tenantId == null) {
                continue;
            }
            List<WebhookEndpoint> candidates = endpoints.computeIfAbsent(event.tenantId, tenant -> em.createQuery(
                            "from WebhookEndpoint w where w.tenantId = :tenant and w.enabled = true and w.deletedAt is null",
                            WebhookEndpoint.class).setParameter("tenant", tenant).getResultList());
            for (WebhookEndpoint endpoint : candidates) {
                if (!endpoint.wants(event.type) || event.createdAt.isBefore(endpoint.createdAt)) {
                    continue;
                }
                String tenant = tenants.computeIfAbsent(event.tenantId, id -> em.find(Tenant.class, id).slug);
                String body = body(new WebhookEvent(event.id, event.type, tenant, event.targetType, event.targetId,
                        event.createdAt, event.payload));
                em.createNativeQuery("insert into webhook_deliveries (id, endpoint_id, tenant_id, event_id, event_type,"
                                + " body, state, next_attempt_at, created_at) values (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)"
                                + " on conflict (endpoint_id, event_id) do nothing")
                        .setParameter(1, UUID.randomUUID()).setParameter(2, endpoint.id).setParameter(3, event.tenantId)
                        .setParameter(4, event.id).setParameter(5, event.type).setParameter(6, body).setParameter(7, now)
                        .executeUpdate();
            }
        }
        Event last = batch.get(batch.size() - 1);
        em.createNativeQuery("update webhook_fanout_position set transaction = ?1, event_id = ?2 where id = 1")
                .setParameter(1, last.transaction).setParameter(2, last.id).executeUpdate();
        return batch.size();
    }

    /** A claimed attempt: the delivery and where and how to send it. */
    record Attempt(UUID delivery, UUID endpoint, String url, String secret, String body, String eventType) {
    }

    /** The result of an attempt: an HTTP status, or the error that kept it from having one. */
    record Result(Integer status, String error) {

        boolean succeeded() {
            return status != null && status >= 200 && status < 300;
        }
    }

    void deliverDue() {
        List<Attempt> attempts = QuarkusTransaction.requiringNew().call(this::claim);
        if (attempts.isEmpty()) {
            return;
        }
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> sent = new ArrayList<>();
            for (Attempt attempt : attempts) {
                sent.add(executor.submit(() -> {
                    Result result = send(attempt);
                    QuarkusTransaction.requiringNew().run(() -> record(attempt, result));
                }));
            }
            for (Future<?> future : sent) {
                try {
                    future.get();
                } catch (Exception e) {
                    LOG.warn("recording a webhook delivery failed", e);
                }
            }
        }
    }

    /** Takes the due head delivery of each enabled endpoint, leased for this replica. */
    @SuppressWarnings("unchecked")
    List<Attempt> claim() {
        Instant now = Clock.now();
        List<Object[]> rows = em.createNativeQuery("""
                select d.id, e.id, e.url, e.signing_secret, d.body, d.event_type
                from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
                where d.state = 'pending' and e.enabled and e.deleted_at is null
                  and d.next_attempt_at <= ?1 and (d.lease_until is null or d.lease_until < ?1)
                  and d.sequence = (select min(o.sequence) from webhook_deliveries o
                                    where o.endpoint_id = d.endpoint_id and o.state = 'pending')
                order by d.sequence
                limit ?2
                for update of d skip locked""")
                .setParameter(1, now).setParameter(2, DELIVERY_BATCH).getResultList();
        List<Attempt> attempts = new ArrayList<>();
        for (Object[] row : rows) {
            attempts.add(new Attempt((UUID) row[0], (UUID) row[1], (String) row[2], (String) row[3], (String) row[4],
                    (String) row[5]));
            em.createNativeQuery("update webhook_deliveries set lease_until = ?1 where id = ?2")
                    .setParameter(1, now.plus(config.timeout().multipliedBy(3))).setParameter(2, row[0]).executeUpdate();
        }
        return attempts;
    }

    Result send(Attempt attempt) {
        try {
            URI url = URI.create(attempt.url());
            String refusal = refusedAddress(url.getHost());
            if (refusal != null) {
                return new Result(null, refusal);
            }
            long timestamp = Clock.now().getEpochSecond();
            HttpRequest request = HttpRequest.newBuilder(url)
                    .timeout(config.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "Multiplicity-Webhooks")
                    .header(WebhookSignatures.SIGNATURE_HEADER,
                            WebhookSignatures.header(attempt.secret(), timestamp, attempt.body()))
                    .header(WebhookSignatures.EVENT_HEADER, attempt.eventType())
                    .header(WebhookSignatures.DELIVERY_HEADER, attempt.delivery().toString())
                    .POST(HttpRequest.BodyPublishers.ofString(attempt.body()))
                    .build();
            HttpResponse<Void> response = client().send(request, HttpResponse.BodyHandlers.discarding());
            return new Result(response.statusCode(), response.statusCode() / 100 == 2 ? null
                    : "the endpoint answered " + response.statusCode());
        } catch (IOException | IllegalArgumentException e) {
            return new Result(null, truncate(e.getClass().getSimpleName() + ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(null, "interrupted");
        }
    }

    void record(Attempt attempt, Result result) {
        WebhookDelivery delivery = em.find(WebhookDelivery.class, attempt.delivery());
        WebhookEndpoint endpoint = em.find(WebhookEndpoint.class, attempt.endpoint());
        if (delivery == null || delivery.state != WebhookDelivery.State.pending) {
            return;
        }
        Instant now = Clock.now();
        delivery.attempts++;
        delivery.lastStatus = result.status();
        delivery.lastError = truncate(result.error());
        delivery.leaseUntil = null;
        if (result.succeeded()) {
            delivery.state = WebhookDelivery.State.succeeded;
            delivery.finishedAt = now;
            endpoint.failingSince = null;
            return;
        }
        delivery.nextAttemptAt = now.plus(backoff(delivery.attempts));
        if (endpoint.failingSince == null) {
            endpoint.failingSince = now;
        }
        if (endpoint.enabled && !now.isBefore(endpoint.failingSince.plus(config.disableAfter()))) {
            disable(endpoint, now, result);
        }
    }

    private void disable(WebhookEndpoint endpoint, Instant now, Result result) {
        endpoint.enabled = false;
        endpoint.disabledReason = truncate("disabled after failing since " + endpoint.failingSince + "; last: "
                + result.error());
        em.createQuery("update WebhookDelivery d set d.state = :failed, d.finishedAt = :now, d.leaseUntil = null"
                        + " where d.endpointId = :id and d.state = :pending")
                .setParameter("failed", WebhookDelivery.State.failed).setParameter("pending", WebhookDelivery.State.pending)
                .setParameter("now", now).setParameter("id", endpoint.id).executeUpdate();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", endpoint.name);
        details.put("url", endpoint.url);
        details.put("failingSince", endpoint.failingSince.toString());
        details.put("lastError", result.error());
        events.record(endpoint.tenantId, DISABLED_EVENT, WebhookService.TARGET, endpoint.id, details);
        audit.recordAutomatic(endpoint.tenantId, ACTOR, DISABLED_EVENT, WebhookService.TARGET, endpoint.id,
                "succeeded", details);
        LOG.infof("webhook %s (%s) disabled: failing since %s", endpoint.name, endpoint.url, endpoint.failingSince);
    }

    /** The wait after the n-th failed attempt: base × 2^(n−1), at most the maximum. */
    Duration backoff(int failedAttempts) {
        Duration wait = config.backoffBase();
        for (int i = 1; i < failedAttempts && wait.compareTo(config.backoffMax()) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(config.backoffMax()) > 0 ? config.backoffMax() : wait;
    }

    /** Why a host may not be called (it resolves to a loopback, private or link-local address), or null. */
    private String refusedAddress(String host) throws UnknownHostException {
        if (config.allowPrivateAddresses()) {
            return null;
        }
        for (InetAddress address : InetAddress.getAllByName(host)) {
            byte[] raw = address.getAddress();
            boolean uniqueLocal = raw.length == 16 && (raw[0] & 0xfe) == 0xfc;
            if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
                    || address.isAnyLocalAddress() || address.isMulticastAddress() || uniqueLocal) {
                return "refused: " + host + " resolves to the private address " + address.getHostAddress();
            }
        }
        return null;
    }

    private HttpClient client() {
        if (client == null) {
            synchronized (this) {
                if (client == null) {
                    HttpClient.Builder builder = HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(config.timeout())
                            .followRedirects(HttpClient.Redirect.NEVER);
                    if (config.trustStore().isPresent()) {
                        builder.sslContext(trusting(Path.of(config.trustStore().get()),
                                config.trustStorePassword().orElse("").toCharArray()));
                    }
                    client = builder.build();
                }
            }
        }
        return client;
    }

    private static SSLContext trusting(Path trustStore, char[] password) {
        try (InputStream in = Files.newInputStream(trustStore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the webhook trust store " + trustStore, e);
        }
    }

    private String body(WebhookEvent event) {
        try {
            return json.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a webhook body", e);
        }
    }

    private static String truncate(String text) {
        return text == null || text.length() <= 500 ? text : text.substring(0, 497) + "...";
    }
}
