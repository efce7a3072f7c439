package io.multiplicity.instance;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A named size: vCPUs, memory and disk for one kind of instance. */
@Entity
@Table(name = "instance_types")
public class InstanceType extends PanacheEntityBase {

    @Id
    public String name;

    @Column(nullable = false)
    public String kind;

    public int vcpus;

    @Column(name = "memory_mib")
    public int memoryMiB;

    @Column(name = "disk_gib")
    public int diskGiB;

    public String description;
}
