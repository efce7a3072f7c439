package io.multiplicity.token;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** An API token the panel issued: a tenant's (tenantId set) or the platform's. Only its hash is kept. */
@Entity
@Table(name = "api_tokens")
public class ApiToken extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "tenant_id")
    public UUID tenantId;

    @Column(nullable = false)
    public String name;

    @Column(nullable = false)
    public String role;

    /** The token's public lookup part (between {@code mpt_} and the secret). */
    @Column(nullable = false, unique = true)
    public String prefix;

    /** SHA-256 of the whole token. */
    @Column(name = "secret_hash", nullable = false)
    public byte[] secretHash;

    /** The user mirror the token acts as: its audit entries and operations name it. */
    @Column(name = "user_id", nullable = false)
    public UUID userId;

    @Column(name = "created_by")
    public UUID createdBy;

    @Column(name = "created_by_name")
    public String createdByName;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "expires_at", nullable = false)
    public Instant expiresAt;

    @Column(name = "revoked_at")
    public Instant revokedAt;

    @Column(name = "revoked_by_name")
    public String revokedByName;

    @Column(name = "last_used_at")
    public Instant lastUsedAt;

    @Column(name = "last_used_from")
    public String lastUsedFrom;
}
