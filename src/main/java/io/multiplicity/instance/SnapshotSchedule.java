package io.multiplicity.instance;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** How many hourly, daily and weekly snapshots of an instance to keep (0: none of that period). */
@Entity
@Table(name = "snapshot_schedules")
public class SnapshotSchedule extends PanacheEntityBase {

    @Id
    @Column(name = "instance_id")
    public UUID instanceId;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    public int hourly;

    public int daily;

    public int weekly;

    @Column(name = "updated_by")
    public UUID updatedBy;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
}
