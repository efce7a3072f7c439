package io.multiplicity.accounting;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A stretch of time over which an instance held the same allocation and ran, or did not. */
@Entity
@Table(name = "allocation_periods")
public class AllocationPeriod extends PanacheEntityBase {

    /** Drawn fifty at a time from the table's sequence (which steps by 50): no round trip per period. */
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "allocation_period_ids")
    @SequenceGenerator(name = "allocation_period_ids", sequenceName = "allocation_periods_id_seq", allocationSize = 50)
    public Long id;

    @Column(name = "instance_id", nullable = false)
    public UUID instanceId;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(name = "host_id")
    public UUID hostId;

    public String image;

    public boolean running;

    public int vcpus;

    @Column(name = "memory_mib")
    public int memoryMiB;

    @Column(name = "disk_gib")
    public int diskGiB;

    @Column(name = "started_at", nullable = false)
    public Instant startedAt;

    @Column(name = "ended_at")
    public Instant endedAt;
}
