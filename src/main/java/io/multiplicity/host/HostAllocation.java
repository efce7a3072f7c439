package io.multiplicity.host;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.UUID;
import org.hibernate.annotations.Immutable;

/**
 * What the live instances on one host hold, as the database keeps it: a trigger on
 * {@code instances} changes the row in the transaction of every insert, update or delete of an
 * instance (vCPUs and memory of the instances meant to run, disk of every live one). Read-only
 * here; a host without a row holds nothing.
 */
@Entity
@Immutable
@Table(name = "host_allocations")
public class HostAllocation {

    @Id
    @Column(name = "host_id")
    public UUID hostId;

    @Column(nullable = false)
    public long vcpus;

    @Column(name = "memory_mib", nullable = false)
    public long memoryMiB;

    @Column(name = "disk_gib", nullable = false)
    public long diskGiB;
}
