package io.multiplicity.sshkey;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A user's SSH public key, offered to the instances the user creates. */
@Entity
@Table(name = "ssh_keys")
public class SshKey extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "user_id", nullable = false)
    public UUID userId;

    @Column(name = "tenant_id")
    public UUID tenantId;

    @Column(nullable = false)
    public String name;

    @Column(name = "public_key", nullable = false)
    public String publicKey;

    @Column(nullable = false)
    public String fingerprint;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "deleted_at")
    public Instant deletedAt;
}
