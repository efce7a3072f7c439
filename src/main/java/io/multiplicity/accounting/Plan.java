package io.multiplicity.accounting;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A price plan: unit prices and the default quotas of the tenants on it. */
@Entity
@Table(name = "plans")
public class Plan extends PanacheEntityBase {

    public static final UUID STANDARD = UUID.fromString("00000000-0000-0000-0000-000000000001");

    @Id
    public UUID id;

    @Column(nullable = false, unique = true)
    public String name;

    @Column(nullable = false)
    public String currency;

    @Column(name = "vcpu_hour")
    public BigDecimal vcpuHour;

    @Column(name = "memory_gib_hour")
    public BigDecimal memoryGibHour;

    @Column(name = "disk_gib_month")
    public BigDecimal diskGibMonth;

    /** Per GiB sent out through a host's uplink. */
    @Column(name = "egress_gib")
    public BigDecimal egressGib;

    /** Per public address, and per port forward, per hour held. */
    @Column(name = "address_hour")
    public BigDecimal addressHour;

    @Column(name = "snapshot_gib_month")
    public BigDecimal snapshotGibMonth;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "image_fees")
    public Map<String, Object> imageFees;

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
    public boolean runningOnly;

    @Column(name = "created_at")
    public Instant createdAt;
}
