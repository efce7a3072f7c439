package io.multiplicity.accounting;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A tenant's own limits where they differ from its plan's; null fields inherit the plan's. */
@Entity
@Table(name = "tenant_quotas")
public class TenantQuota extends PanacheEntityBase {

    @Id
    @Column(name = "tenant_id")
    public UUID tenantId;

    @Column(name = "max_instances")
    public Integer maxInstances;

    @Column(name = "max_vcpus")
    public Integer maxVcpus;

    @Column(name = "max_memory_mib")
    public Long maxMemoryMiB;

    @Column(name = "max_disk_gib")
    public Long maxDiskGiB;

    @Column(name = "max_snapshots")
    public Integer maxSnapshots;

    @Column(name = "max_snapshot_gib")
    public Long maxSnapshotGiB;

    /** MiB a tenant's private image versions may hold in the pool (their unpacked bytes). */
    @Column(name = "max_image_mib")
    public Long maxImageMiB;

    @Column(name = "max_private_images")
    public Integer maxPrivateImages;

    @Column(name = "max_addresses")
    public Integer maxAddresses;

    @Column(name = "max_console_sessions")
    public Integer maxConsoleSessions;

    @Column(name = "running_only")
    public Boolean runningOnly;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
}
