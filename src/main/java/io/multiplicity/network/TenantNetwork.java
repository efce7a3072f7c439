package io.multiplicity.network;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A tenant's isolated network on one host: a VLAN on the host bridge and an IPv4 subnet. */
@Entity
@Table(name = "tenant_networks")
public class TenantNetwork extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(name = "host_id", nullable = false)
    public UUID hostId;

    public int vlan;

    /** e.g. 10.90.3.0/24 */
    @Column(nullable = false)
    public String subnet;

    @Column(nullable = false)
    public String gateway;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
}
