package io.multiplicity.tenant;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

@Entity
@Table(name = "tenants")
public class Tenant extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(nullable = false, unique = true)
    public String slug;

    @Column(name = "display_name", nullable = false)
    public String displayName;

    /** Left to the database on insert: its default is the standard plan, as for tenants registered at sign-in. */
    @Column(name = "plan_id", insertable = false)
    public UUID planId;

    /** Its networks may reach the outside through the hosts' uplinks. */
    @Column(nullable = false)
    public boolean egress = true;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    public static Optional<Tenant> findBySlug(String slug) {
        return find("slug", slug).firstResultOptional();
    }
}
