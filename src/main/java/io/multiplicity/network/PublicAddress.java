package io.multiplicity.network;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * One of the provider's public IPv4 addresses, in a host's pool: either given whole to one
 * instance at a time (1:1 NAT) or shared, carrying port forwards of any tenant.
 */
@Entity
@Table(name = "public_addresses")
public class PublicAddress extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "host_id", nullable = false)
    public UUID hostId;

    @Column(nullable = false)
    public String address;

    public boolean shared;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "removed_at")
    public Instant removedAt;
}
