package io.multiplicity.network;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A port of a shared public address forwarded to a port of one instance. */
@Entity
@Table(name = "port_forwards")
public class PortForward extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(name = "instance_id", nullable = false)
    public UUID instanceId;

    @Column(name = "public_address_id", nullable = false)
    public UUID publicAddressId;

    /** {@code tcp} or {@code udp} */
    @Column(nullable = false)
    public String protocol;

    public int port;

    @Column(name = "target_port")
    public int targetPort;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "released_at")
    public Instant releasedAt;
}
