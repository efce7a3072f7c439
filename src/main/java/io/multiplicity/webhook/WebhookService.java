package io.multiplicity.webhook;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.common.Cursors;
import io.multiplicity.common.Page;
import io.multiplicity.identity.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/** A tenant's webhook endpoints: registered, listed, changed, deleted, and their deliveries listed. */
@ApplicationScoped
@Transactional
public class WebhookService {

    static final String CREATED = "webhook.create";
    static final String UPDATED = "webhook.update";
    static final String DELETED = "webhook.delete";
    static final String TARGET = "webhook";
    static final int MAX_PATTERNS = 50;

    private static final Pattern EVENT_PATTERN = Pattern.compile("\\*|[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*(\\.\\*)?");

    /**
     * An endpoint as its tenant sees it; never its secret.
     *
     * @param events   the event types it receives: a type, {@code prefix.*} or {@code *}
     * @param enabled  false once disabled (by its tenant, or after failing for a day)
     */
    public record WebhookView(UUID id, String name, String url, List<String> events, boolean enabled,
                              String disabledReason, Instant failingSince, String createdBy, Instant createdAt) {
    }

    /** An endpoint just registered, with its signing secret: shown this once. */
    public record CreatedWebhook(WebhookView webhook, String secret) {
    }

    /** One delivery and the result of its last attempt. */
    public record DeliveryView(UUID id, long eventId, String eventType, WebhookDelivery.State state, int attempts,
                               Integer lastStatus, String lastError, Instant nextAttemptAt, Instant createdAt,
                               Instant finishedAt) {
    }

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    AuditService audit;

    @Inject
    WebhooksConfig config;

    public CreatedWebhook create(String name, String url, List<String> events) {
        UUID tenantId = tenant();
        URI checked = checkUrl(url);
        List<String> patterns = checkEvents(events);
        em.createNativeQuery("select id from tenants where id = ?1 for update").setParameter(1, tenantId).getResultList();
        List<WebhookEndpoint> live = em.createQuery("from WebhookEndpoint w where w.tenantId = :tenant"
                        + " and w.deletedAt is null", WebhookEndpoint.class).setParameter("tenant", tenantId).getResultList();
        if (live.size() >= config.maxEndpointsPerTenant()) {
            throw ApiException.conflict("too_many_webhooks", "a tenant has at most " + config.maxEndpointsPerTenant()
                    + " webhooks", Map.of("limit", config.maxEndpointsPerTenant()));
        }
        if (live.stream().anyMatch(endpoint -> endpoint.name.equals(name))) {
            throw ApiException.conflict("name_taken", "a webhook named " + name + " exists already",
                    Map.of("field", "name"));
        }
        WebhookEndpoint endpoint = new WebhookEndpoint();
        endpoint.id = UUID.randomUUID();
        endpoint.tenantId = tenantId;
        endpoint.name = name;
        endpoint.url = checked.toString();
        endpoint.eventTypes = String.join(",", patterns);
        endpoint.signingSecret = WebhookSignatures.newSecret();
        endpoint.createdByName = caller.get().username();
        endpoint.createdAt = Clock.now();
        em.persist(endpoint);
        audit.record(tenantId, CREATED, TARGET, endpoint.id, "succeeded",
                Map.of("name", name, "url", endpoint.url, "events", patterns));
        return new CreatedWebhook(view(endpoint), endpoint.signingSecret);
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Page<WebhookView> list(Integer limit, String cursor) {
        UUID tenantId = tenant();
        int size = Cursors.limit(limit);
        Cursors.Position after = Cursors.decode(cursor);
        String query = "from WebhookEndpoint w where w.tenantId = :tenant and w.deletedAt is null"
                + (after != null ? " and (w.createdAt < :at or (w.createdAt = :at and w.id < :id))" : "")
                + " order by w.createdAt desc, w.id desc";
        var typed = em.createQuery(query, WebhookEndpoint.class).setParameter("tenant", tenantId).setMaxResults(size + 1);
        if (after != null) {
            typed.setParameter("at", after.createdAt()).setParameter("id", after.id());
        }
        Page<WebhookEndpoint> page = Page.of(typed.getResultList(), size, w -> w.createdAt, w -> w.id);
        return new Page<>(page.items().stream().map(WebhookService::view).toList(), page.next());
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public WebhookView get(UUID id) {
        return view(find(id));
    }

    /** Changes the URL or the events, or enables a disabled endpoint again (its failures are forgotten). */
    public WebhookView update(UUID id, String url, List<String> events, Boolean enabled) {
        WebhookEndpoint endpoint = find(id);
        Map<String, Object> change = new LinkedHashMap<>();
        if (url != null) {
            endpoint.url = checkUrl(url).toString();
            change.put("url", endpoint.url);
        }
        if (events != null) {
            endpoint.eventTypes = String.join(",", checkEvents(events));
            change.put("events", endpoint.patterns());
        }
        if (enabled != null && enabled != endpoint.enabled) {
            endpoint.enabled = enabled;
            endpoint.disabledReason = enabled ? null : "disabled by " + caller.get().username();
            endpoint.failingSince = null;
            change.put("enabled", enabled);
        }
        if (change.isEmpty()) {
            throw ApiException.badRequest("validation_failed", "the request changes nothing", null);
        }
        audit.record(endpoint.tenantId, UPDATED, TARGET, endpoint.id, "succeeded", change);
        return view(endpoint);
    }

    /** Deletes an endpoint; its pending deliveries are not sent. */
    public WebhookView delete(UUID id) {
        WebhookEndpoint endpoint = find(id);
        endpoint.deletedAt = Clock.now();
        endpoint.enabled = false;
        em.createQuery("update WebhookDelivery d set d.state = :failed, d.lastError = 'the webhook was deleted',"
                        + " d.finishedAt = :now where d.endpointId = :id and d.state = :pending")
                .setParameter("failed", WebhookDelivery.State.failed).setParameter("pending", WebhookDelivery.State.pending)
                .setParameter("now", endpoint.deletedAt).setParameter("id", id).executeUpdate();
        audit.record(endpoint.tenantId, DELETED, TARGET, endpoint.id, "succeeded", Map.of("name", endpoint.name));
        return view(endpoint);
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Page<DeliveryView> deliveries(UUID id, Integer limit, String cursor) {
        WebhookEndpoint endpoint = find(id);
        int size = Cursors.limit(limit);
        Cursors.Position after = Cursors.decode(cursor);
        String query = "from WebhookDelivery d where d.endpointId = :endpoint"
                + (after != null ? " and (d.createdAt < :at or (d.createdAt = :at and d.id < :id))" : "")
                + " order by d.createdAt desc, d.id desc";
        var typed = em.createQuery(query, WebhookDelivery.class).setParameter("endpoint", endpoint.id)
                .setMaxResults(size + 1);
        if (after != null) {
            typed.setParameter("at", after.createdAt()).setParameter("id", after.id());
        }
        Page<WebhookDelivery> page = Page.of(typed.getResultList(), size, d -> d.createdAt, d -> d.id);
        return new Page<>(page.items().stream().map(d -> new DeliveryView(d.id, d.eventId, d.eventType, d.state,
                d.attempts, d.lastStatus, d.lastError, d.state == WebhookDelivery.State.pending ? d.nextAttemptAt : null,
                d.createdAt, d.finishedAt)).toList(), page.next());
    }

    private UUID tenant() {
        if (caller.get().tenantId() == null) {
            throw ApiException.forbidden("webhooks belong to a tenant; your account acts for none");
        }
        return caller.get().tenantId();
    }

    private WebhookEndpoint find(UUID id) {
        UUID tenantId = tenant();
        WebhookEndpoint endpoint = em.find(WebhookEndpoint.class, id);
        if (endpoint == null || endpoint.deletedAt != null || !endpoint.tenantId.equals(tenantId)) {
            throw ApiException.notFound("webhook", id);
        }
        return endpoint;
    }

    static URI checkUrl(String url) {
        URI uri;
        try {
            uri = URI.create(url.strip());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("validation_failed", "url is not a URL", Map.of("field", "url"));
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getUserInfo() != null
                || uri.getFragment() != null) {
            throw ApiException.badRequest("validation_failed", "url must be an https:// URL with a host, without"
                    + " credentials or fragment", Map.of("field", "url"));
        }
        return uri;
    }

    static List<String> checkEvents(List<String> events) {
        if (events == null || events.isEmpty() || events.size() > MAX_PATTERNS) {
            throw ApiException.badRequest("validation_failed", "events must name 1 to " + MAX_PATTERNS
                    + " event types", Map.of("field", "events"));
        }
        for (String pattern : events) {
            if (pattern == null || pattern.length() > 64 || !EVENT_PATTERN.matcher(pattern).matches()) {
                throw ApiException.badRequest("validation_failed", "'" + pattern + "' is no event type: write a type"
                        + " such as instance.created, a prefix such as operation.*, or *", Map.of("field", "events"));
            }
        }
        return events.stream().distinct().toList();
    }

    static WebhookView view(WebhookEndpoint endpoint) {
        return new WebhookView(endpoint.id, endpoint.name, endpoint.url, endpoint.patterns(), endpoint.enabled,
                endpoint.disabledReason, endpoint.failingSince, endpoint.createdByName, endpoint.createdAt);
    }
}
