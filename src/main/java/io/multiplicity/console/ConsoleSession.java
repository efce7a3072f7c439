package io.multiplicity.console;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** The audit record of one console session: who, from where, when, how long, bytes each way, how it ended. */
@Entity
@Table(name = "console_sessions")
@org.hibernate.annotations.DynamicUpdate
public class ConsoleSession extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(name = "instance_id", nullable = false)
    public UUID instanceId;

    @Column(name = "user_id")
    public UUID userId;

    @Column(nullable = false)
    public String username;

    @Column(nullable = false)
    public String type;

    @Column(name = "read_only")
    public boolean readOnly;

    @Column(name = "client_address")
    public String clientAddress;

    @Column(name = "started_at", nullable = false)
    public Instant startedAt;

    @Column(name = "ended_at")
    public Instant endedAt;

    /** When the replica serving it last said it is alive. */
    @Column(name = "seen_at")
    public Instant seenAt;

    @Column(name = "bytes_in")
    public long bytesIn;

    @Column(name = "bytes_out")
    public long bytesOut;

    @Column(name = "close_reason")
    public String closeReason;

    public String recording;
}
