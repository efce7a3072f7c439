package io.multiplicity.console;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A single-use console ticket, stored by the hash of its secret. */
@Entity
@Table(name = "console_tickets")
public class ConsoleTicket extends PanacheEntityBase {

    @Id
    @Column(name = "ticket_hash")
    public String ticketHash;

    @Column(name = "user_id", nullable = false)
    public UUID userId;

    @Column(nullable = false)
    public String username;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(name = "instance_id", nullable = false)
    public UUID instanceId;

    /** serial or vnc */
    @Column(nullable = false)
    public String type;

    @Column(name = "read_only")
    public boolean readOnly;

    /** Issued to a platform admin, who may open any tenant's consoles. */
    @Column(name = "platform_admin", nullable = false)
    public boolean platformAdmin;

    @Column(name = "client_address")
    public String clientAddress;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "expires_at", nullable = false)
    public Instant expiresAt;

    @Column(name = "used_at")
    public Instant usedAt;
}
