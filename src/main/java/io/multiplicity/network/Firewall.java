package io.multiplicity.network;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A tenant's named set of inbound rules (a security group): traffic from outside reaches an
 * instance that has one only where a rule allows it; traffic from the instance's own tenant network
 * too when the firewall says {@code inside: filtered}.
 */
@Entity
@Table(name = "firewalls")
public class Firewall extends PanacheEntityBase {

    /** Traffic from the instance's own tenant network passes, whatever the rules say. */
    public static final String INSIDE_OPEN = "open";
    /** New connections from the instance's own tenant network pass only where a rule allows. */
    public static final String INSIDE_FILTERED = "filtered";

    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(nullable = false)
    public String name;

    public String description;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public List<FirewallRule> rules;

    /** {@link #INSIDE_OPEN} or {@link #INSIDE_FILTERED}: whether the rules also filter the tenant's own network. */
    @Column(nullable = false)
    public String inside;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Column(name = "deleted_at")
    public Instant deletedAt;
}
