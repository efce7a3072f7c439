package io.multiplicity.webhook;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** A tenant's HTTPS endpoint and the event types it receives. */
@Entity
@Table(name = "webhook_endpoints")
public class WebhookEndpoint extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(nullable = false)
    public String name;

    @Column(nullable = false)
    public String url;

    /** Comma-separated patterns: an event type, {@code prefix.*} or {@code *}. */
    @Column(name = "event_types", nullable = false)
    public String eventTypes;

    @Column(name = "signing_secret", nullable = false)
    public String signingSecret;

    @Column(nullable = false)
    public boolean enabled = true;

    @Column(name = "disabled_reason")
    public String disabledReason;

    @Column(name = "failing_since")
    public Instant failingSince;

    @Column(name = "created_by_name")
    public String createdByName;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "deleted_at")
    public Instant deletedAt;

    public List<String> patterns() {
        return Arrays.stream(eventTypes.split(",")).map(String::strip).filter(p -> !p.isEmpty()).toList();
    }

    /** Whether an event of this type goes to this endpoint. */
    public boolean wants(String type) {
        for (String pattern : patterns()) {
            if (pattern.equals("*") || pattern.equals(type)
                    || (pattern.endsWith(".*") && type.startsWith(pattern.substring(0, pattern.length() - 1)))) {
                return true;
            }
        }
        return false;
    }
}
