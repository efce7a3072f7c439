package io.multiplicity.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * An image of the catalog: what a jail or VM is created from. Its versions are snapshots of one
 * dataset on the hosts ({@link #storageKey}); channels name versions.
 */
@Entity
@Table(name = "images")
public class Image extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(nullable = false)
    public String name;

    /** Owner; null for the provider's images. */
    @Column(name = "tenant_id")
    public UUID tenantId;

    /** jail or vm */
    @Column(nullable = false)
    public String kind;

    @Column(nullable = false)
    public String os;

    @Column(nullable = false)
    public String architecture;

    public String description;

    /** public (provider images only), private or shared */
    @Column(nullable = false)
    public String visibility;

    /** none (jails), kernel (direct kernel boot) or firmware */
    @Column(nullable = false)
    public String boot;

    public boolean graphics;

    @Column(name = "storage_key", nullable = false)
    public String storageKey;

    @Column(name = "built_in")
    public boolean builtIn;

    public boolean deprecated;

    @Column(name = "created_by", nullable = false)
    public String createdBy;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Column(name = "deleted_at")
    public Instant deletedAt;
}
