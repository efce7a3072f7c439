package io.multiplicity.network;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A public address given whole to one instance (1:1 NAT), from its creation to its release. */
@Entity
@Table(name = "address_assignments")
public class AddressAssignment extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(name = "instance_id", nullable = false)
    public UUID instanceId;

    @Column(name = "public_address_id", nullable = false)
    public UUID publicAddressId;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "released_at")
    public Instant releasedAt;
}
