package io.multiplicity.host;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A hypervisor host: its physical capacity, overcommit ratios and what it can run. */
@Entity
@Table(name = "hosts")
public class Host extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(nullable = false, unique = true)
    public String name;

    /** ready, draining, offline */
    @Column(nullable = false)
    public String state;

    /** an admin cordoned the host: it keeps its instances and takes no new one */
    @Column(nullable = false)
    public boolean cordoned;

    /** true for the agent that runs inside this control-plane process */
    @Column(nullable = false)
    public boolean local;

    @Column(name = "agent_url")
    public String agentUrl;

    /**
     * The serial number (hex) of the certificate the agent got at its latest enrolment: the control
     * plane trusts that one alone, so a certificate a re-enrolment superseded is refused. Written by
     * the enrolment only.
     */
    @Column(name = "agent_certificate_serial", insertable = false, updatable = false)
    public String agentCertificateSerial;

    public int cpus;

    @Column(name = "memory_mib")
    public long memoryMiB;

    @Column(name = "storage_gib")
    public long storageGiB;

    @Column(name = "cpu_ratio")
    public BigDecimal cpuRatio;

    @Column(name = "memory_ratio")
    public BigDecimal memoryRatio;

    @Column(name = "disk_ratio")
    public BigDecimal diskRatio;

    @Column(name = "reserved_cpus")
    public int reservedCpus;

    @Column(name = "reserved_memory_mib")
    public long reservedMemoryMiB;

    @Column(name = "reserved_storage_gib")
    public long reservedStorageGiB;

    /** comma-separated instance kinds this host can run */
    @Column(nullable = false)
    public String kinds;

    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, Object> facts;

    @Column(name = "last_seen")
    public Instant lastSeen;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    public Host() {
    }

    /**
     * What placement reads of a host (everything but its facts), as an object no session manages:
     * built by {@link Placement}'s projection, so that reading every host for a create neither
     * parses each host's facts nor keeps a copy of them to check for changes at commit.
     */
    public Host(UUID id, String name, String state, boolean cordoned, String kinds, int cpus, long memoryMiB,
                long storageGiB, BigDecimal cpuRatio, BigDecimal memoryRatio, BigDecimal diskRatio, int reservedCpus,
                long reservedMemoryMiB, long reservedStorageGiB, Instant lastSeen) {
        this.id = id;
        this.name = name;
        this.state = state;
        this.cordoned = cordoned;
        this.kinds = kinds;
        this.cpus = cpus;
        this.memoryMiB = memoryMiB;
        this.storageGiB = storageGiB;
        this.cpuRatio = cpuRatio;
        this.memoryRatio = memoryRatio;
        this.diskRatio = diskRatio;
        this.reservedCpus = reservedCpus;
        this.reservedMemoryMiB = reservedMemoryMiB;
        this.reservedStorageGiB = reservedStorageGiB;
        this.lastSeen = lastSeen;
    }

    public Set<String> kindSet() {
        return Arrays.stream(kinds.split(",")).filter(kind -> !kind.isBlank()).collect(Collectors.toSet());
    }

    /** allocatable vCPUs = physical × ratio − reserved */
    public long allocatableVcpus() {
        return cpuRatio.multiply(BigDecimal.valueOf(cpus)).longValue() - reservedCpus;
    }

    public long allocatableMemoryMiB() {
        return memoryRatio.multiply(BigDecimal.valueOf(memoryMiB)).longValue() - reservedMemoryMiB;
    }

    public long allocatableStorageGiB() {
        return diskRatio.multiply(BigDecimal.valueOf(storageGiB)).longValue() - reservedStorageGiB;
    }
}
