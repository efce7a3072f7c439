package io.multiplicity.webhook;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One event on its way to one endpoint, with the result of its last attempt. */
@Entity
@Table(name = "webhook_deliveries")
public class WebhookDelivery extends PanacheEntityBase {

    /** What became of a delivery. */
    @Schema(name = "DeliveryState")
    public enum State { pending, succeeded, failed }

    @Id
    public UUID id;

    @Column(insertable = false, updatable = false)
    public Long sequence;

    @Column(name = "endpoint_id", nullable = false)
    public UUID endpointId;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(name = "event_id", nullable = false)
    public long eventId;

    @Column(name = "event_type", nullable = false)
    public String eventType;

    @Column(nullable = false)
    public String body;

    @Column(nullable = false)
    @jakarta.persistence.Enumerated(jakarta.persistence.EnumType.STRING)
    public State state = State.pending;

    @Column(nullable = false)
    public int attempts;

    @Column(name = "next_attempt_at", nullable = false)
    public Instant nextAttemptAt;

    @Column(name = "lease_until")
    public Instant leaseUntil;

    @Column(name = "last_status")
    public Integer lastStatus;

    @Column(name = "last_error")
    public String lastError;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "finished_at")
    public Instant finishedAt;
}
