package io.multiplicity.instance;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A jail or a VM: its desired state (what the tenant asked for) and its last known actual state. */
@Entity
@org.hibernate.annotations.DynamicUpdate
@Table(name = "instances")
public class Instance extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false)
    public UUID tenantId;

    @Column(nullable = false)
    public String name;

    /** jail or vm */
    @Column(nullable = false)
    public String kind;

    @Column(name = "instance_type")
    public String instanceType;

    @Column(nullable = false)
    public String image;

    /** The label of the exact image version the instance was created from. */
    @Column(name = "image_version")
    public String imageVersion;

    @Column(name = "image_version_id")
    public UUID imageVersionId;

    public int vcpus;

    @Column(name = "memory_mib")
    public int memoryMiB;

    @Column(name = "disk_gib")
    public int diskGiB;

    /** stopped, running, deleted */
    @Column(name = "desired_state", nullable = false)
    public String desiredState;

    /** see {@link InstanceState} */
    @Column(name = "actual_state", nullable = false)
    public String actualState;

    @Column(name = "state_detail")
    public String stateDetail;

    @Column(name = "host_id")
    public UUID hostId;

    @Column(name = "network_id")
    public UUID networkId;

    public String address;

    /** never, on-failure or always: what happens when it stops while meant to run ({@link RestartPolicy}). */
    @Column(name = "restart_policy", nullable = false)
    public String restartPolicy = RestartPolicy.ON_FAILURE;

    /** Automatic restarts since it last ran long enough to count as stable. */
    public int restarts;

    /** The version of the settings a PATCH changes (sizes, restart policy): the instance's ETag. */
    @Column(name = "settings_version", nullable = false)
    public long settingsVersion = 1;

    /** When it was last restarted automatically. */
    @Column(name = "restarted_at")
    public Instant restartedAt;

    /** The SSH public keys it was created with, for its metadata service; null for none. */
    @org.hibernate.annotations.JdbcTypeCode(org.hibernate.type.SqlTypes.JSON)
    @Column(name = "ssh_keys")
    public java.util.List<String> sshKeys;

    /** Its user-data, for its metadata service; null for none. */
    @Column(name = "user_data")
    public String userData;

    /** The tenant's firewall (inbound rules) applied to it; null: what is published is open. */
    @Column(name = "firewall_id")
    public UUID firewallId;

    @Column(name = "created_by")
    public UUID createdBy;

    /** The tenant's anti-affinity group: live instances of one group run on different hosts; null for none. */
    @Column(name = "placement_group")
    public String placementGroup;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Column(name = "deleted_at")
    public Instant deletedAt;
}
