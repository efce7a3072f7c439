package io.multiplicity.operation;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A durable asynchronous task: every mutating API call creates one and answers 202 with it.
 *
 * <p>A worker claims a pending operation by setting {@code state = running}, its {@code workerId}
 * and a {@code leaseUntil} it keeps renewing. A worker that dies stops renewing; once the lease has
 * expired any replica takes the operation over: it resumes it when its kind is idempotent, and
 * fails it with the reason otherwise. So no operation stays {@code running} after a crash.
 */
@Entity
@org.hibernate.annotations.DynamicUpdate
@Table(name = "operations")
public class Operation extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "tenant_id")
    public UUID tenantId;

    @Column(nullable = false)
    public String kind;

    @Column(name = "target_type", nullable = false)
    public String targetType;

    @Column(name = "target_id")
    public UUID targetId;

    /** pending, running, succeeded, failed, cancelled */
    @Column(nullable = false)
    public String state;

    public int progress;

    /** What the progress counts besides its percentage (an import's bytes fetched of the total), or null. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "progress_detail")
    public Map<String, Object> progressDetail;

    public String error;

    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, Object> input;

    @Column(name = "requested_by")
    public UUID requestedBy;

    @Column(name = "requested_by_name")
    public String requestedByName;

    @Column(name = "cancel_requested")
    public boolean cancelRequested;

    public int attempts;

    @Column(name = "worker_id")
    public String workerId;

    @Column(name = "lease_until")
    public Instant leaseUntil;

    /** The fencing token of the current claim: raised by every claim, checked by every write of its outcome. */
    @Column(name = "lease_epoch", nullable = false)
    public long leaseEpoch;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    public boolean isTerminal() {
        return OperationState.isTerminal(state);
    }
}
