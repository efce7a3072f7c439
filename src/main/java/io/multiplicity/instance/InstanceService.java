package io.multiplicity.instance;

import io.multiplicity.accounting.AllocationLedger;
import io.multiplicity.accounting.Demand;
import io.multiplicity.accounting.Quotas;
import io.multiplicity.audit.AuditService;
import io.multiplicity.catalog.ImageCatalog;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.common.Cursors;
import io.multiplicity.common.Page;
import io.multiplicity.event.EventService;
import io.multiplicity.host.Host;
import io.multiplicity.host.Placement;
import io.multiplicity.host.StorageFloor;
import io.multiplicity.identity.Caller;
import io.multiplicity.network.Ipam;
import io.multiplicity.network.TenantNetwork;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import io.multiplicity.tenant.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Instances: validation, placement, addresses and the operations that carry out every change.
 * Each public method is one transaction; a refused request writes nothing.
 */
@ApplicationScoped
@Transactional
public class InstanceService {

    public static final String CREATE = "instance.create";
    public static final String START = "instance.start";
    public static final String STOP = "instance.stop";
    public static final String RESTART = "instance.restart";
    public static final String DELETE = "instance.delete";
    public static final String UPDATE = "instance.update";
    public static final String RESIZE = "instance.resize";
    public static final String SNAPSHOT = "instance.snapshot";
    public static final String DELETE_SNAPSHOT = "instance.snapshot.delete";
    public static final String ROLLBACK = "instance.rollback";
    public static final String REBUILD = "instance.rebuild";

    @Inject
    io.multiplicity.catalog.ImageCopies imageCopies;

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    Placement placement;

    @Inject
    StorageFloor storageFloor;

    @Inject
    ImageCatalog catalog;

    @Inject
    Ipam ipam;

    @Inject
    io.multiplicity.sshkey.SshKeyService sshKeys;

    @Inject
    io.multiplicity.network.PublicAccessService publicAccess;

    @Inject
    OperationService operations;

    @Inject
    AuditService audit;

    @Inject
    EventService events;

    @Inject
    Quotas quotas;

    @Inject
    AllocationLedger ledger;

    @Transactional(Transactional.TxType.SUPPORTS)
    public Page<Instance> list(String kind, Integer limit, String cursor) {
        int size = Cursors.limit(limit);
        Cursors.Position after = Cursors.decode(cursor);
        UUID scope = caller.tenantScope();
        StringBuilder query = new StringBuilder("from Instance i where i.deletedAt is null");
        Map<String, Object> parameters = new HashMap<>();
        if (scope != null) {
            query.append(" and i.tenantId = :tenant");
            parameters.put("tenant", scope);
        }
        if (kind != null) {
            if (!kind.equals("jail") && !kind.equals("vm")) {
                throw ApiException.badRequest("validation_failed", "kind must be jail or vm", Map.of("field", "kind"));
            }
            query.append(" and i.kind = :kind");
            parameters.put("kind", kind);
        }
        if (after != null) {
            query.append(" and (i.createdAt > :at or (i.createdAt = :at and i.id > :id))");
            parameters.put("at", after.createdAt());
            parameters.put("id", after.id());
        }
        query.append(" order by i.createdAt, i.id");
        // read only: a page is mapped to views, never changed, so no copy is kept for a dirty check
        var typed = em.createQuery(query.toString(), Instance.class).setMaxResults(size + 1)
                .setHint(org.hibernate.jpa.HibernateHints.HINT_READ_ONLY, true);
        parameters.forEach(typed::setParameter);
        return Page.of(typed.getResultList(), size, instance -> instance.createdAt, instance -> instance.id);
    }

    /** One live instance the caller may see; 404 for other tenants' ids, exactly as for unknown ones. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Instance get(UUID id) {
        return find(id, false);
    }

    /**
     * The kind of instance asked for: as given, else the instance type's, else the only kind of
     * image the reference names for the tenant (a name of both a jail and a VM image is ambiguous).
     */
    private String kindOf(UUID tenantId, CreateInstanceRequest request) {
        if (request.kind() != null) {
            return request.kind();
        }
        if (request.type() != null) {
            InstanceType type = InstanceType.findById(request.type());
            if (type != null) {
                return type.kind;
            }
        }
        return catalog.kindOf(tenantId, request.image());
    }

    private Instance find(UUID id, boolean lock) {
        UUID scope = caller.tenantScope();
        Instance instance = lock
                ? em.find(Instance.class, id, LockModeType.PESSIMISTIC_WRITE)
                : em.find(Instance.class, id);
        if (instance == null || instance.deletedAt != null || (scope != null && !scope.equals(instance.tenantId))) {
            throw ApiException.notFound("instance", id);
        }
        return instance;
    }

    public Operation create(CreateInstanceRequest request) {
        UUID tenantId = tenantFor(request);
        String kind = kindOf(tenantId, request);
        int vcpus;
        int memoryMiB;
        int diskGiB;
        String typeName = request.type();
        if (typeName != null) {
            InstanceType type = InstanceType.findById(typeName);
            if (type == null) {
                throw ApiException.badRequest("unknown_instance_type", "there is no instance type '" + typeName + "'",
                        Map.of("field", "type", "known", InstanceType.<InstanceType>listAll().stream()
                                .filter(known -> known.kind.equals(kind)).map(known -> known.name).sorted()
                                .toList()));
            }
            if (!type.kind.equals(kind)) {
                throw ApiException.badRequest("validation_failed",
                        "instance type " + typeName + " is for " + type.kind + "s, not " + kind + "s",
                        Map.of("field", "type"));
            }
            vcpus = request.vcpus() != null ? request.vcpus() : type.vcpus;
            memoryMiB = request.memoryMiB() != null ? request.memoryMiB() : type.memoryMiB;
            diskGiB = request.diskGiB() != null ? request.diskGiB() : type.diskGiB;
        } else {
            if (request.vcpus() == null || request.memoryMiB() == null || request.diskGiB() == null) {
                throw ApiException.badRequest("validation_failed",
                        "give either an instance type or all of vcpus, memoryMiB and diskGiB", Map.of("field", "type"));
            }
            vcpus = request.vcpus();
            memoryMiB = request.memoryMiB();
            diskGiB = request.diskGiB();
        }
        // A query of its own rather than Panache's count(), whose count query is built anew on every call.
        boolean taken = !em.createQuery("select 1 from Instance i where i.tenantId = :tenant and i.name = :name"
                        + " and i.deletedAt is null", Integer.class)
                .setParameter("tenant", tenantId).setParameter("name", request.name()).setMaxResults(1)
                .getResultList().isEmpty();
        if (taken) {
            throw ApiException.conflict("name_taken", "the tenant already has an instance named " + request.name(),
                    Map.of("field", "name"));
        }

        ImageCatalog.Resolved image = catalog.resolve(tenantId, kind, request.image());
        List<String> keys = request.sshKeys() == null ? List.of() : sshKeys.publicKeys(request.sshKeys());
        if (request.userData() != null && request.userData().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                > InstanceLimits.MAX_USER_DATA_BYTES) {
            throw ApiException.badRequest("validation_failed", "user-data is at most "
                    + InstanceLimits.MAX_USER_DATA_BYTES + " bytes", Map.of("field", "userData"));
        }

        boolean start = Boolean.TRUE.equals(request.start());
        quotas.admit(tenantId, new Demand(1, vcpus, memoryMiB, diskGiB, 0, true, start));
        // Every create onto a host waits for that host's admission lock, which is held until commit:
        // what does not depend on the host, and the network and address on the host it most likely
        // lands on (they need only the tenant's locks), are written before the lock is taken, so that
        // under it there is only the check, the instance and its allocation period, and the commit.
        // Hosts that hold the image version already come first among those that fit: no copy to wait for.
        Placement.Plan plan = placement.plan(new Placement.Request(tenantId, request.placementGroup(), kind, vcpus,
                memoryMiB, diskGiB, start, null, imageCopies.holders(image.version().id)));
        Host likely = plan.likely();
        TenantNetwork network = likely == null ? null : ipam.existing(tenantId, likely.id);
        String address = null;
        if (network != null) {
            try {
                address = ipam.allocate(network);
            } catch (ApiException full) {
                // the likely host's network is full: decided again once the host is known
                network = null;
            }
        }
        UUID instanceId = UUID.randomUUID();
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("start", start);
        Operation operation = operations.submit(tenantId, CREATE, "instance", instanceId, input);
        events.record(tenantId, "instance.created", "instance", instanceId, Map.of("name", request.name()));
        em.flush();

        Host host = placement.admit(plan);
        storageFloor.requireRoomOnHost(host, "a new instance");
        if (network == null || !network.hostId.equals(host.id)) {
            // the tenant's first instance on the host (known under its lock), or it landed elsewhere
            network = likely != null && host.id.equals(likely.id) ? ipam.create(tenantId, host.id)
                    : ipam.network(tenantId, host.id);
            address = ipam.allocate(network);
        }

        Instance instance = new Instance();
        instance.id = instanceId;
        instance.tenantId = tenantId;
        instance.name = request.name();
        instance.kind = kind;
        instance.instanceType = typeName;
        instance.image = request.image();
        instance.imageVersion = image.version().version;
        instance.imageVersionId = image.version().id;
        instance.vcpus = vcpus;
        instance.memoryMiB = memoryMiB;
        instance.diskGiB = diskGiB;
        instance.desiredState = start ? "running" : "stopped";
        instance.actualState = InstanceState.PROVISIONING;
        instance.hostId = host.id;
        instance.networkId = network.id;
        instance.address = address;
        instance.restartPolicy = request.restartPolicy() == null ? RestartPolicy.ON_FAILURE : request.restartPolicy();
        instance.sshKeys = keys.isEmpty() ? null : keys;
        instance.userData = request.userData() == null || request.userData().isEmpty() ? null : request.userData();
        instance.placementGroup = request.placementGroup();
        instance.createdBy = caller.get().userId();
        instance.createdAt = Clock.now();
        instance.updatedAt = instance.createdAt;
        em.persist(instance);
        ledger.openFirst(instance, false);
        audit.record(tenantId, CREATE, "instance", instance.id, "accepted",
                Map.of("name", instance.name, "kind", instance.kind, "image", instance.image, "imageVersion",
                        instance.imageVersion, "host", host.name));
        return operation;
    }

    /** start, stop or restart. */
    public Operation act(UUID id, String action) {
        Instance instance = find(id, true);
        requireIdle(instance);
        String kind = switch (action) {
            case "start" -> START;
            case "stop" -> STOP;
            case "restart" -> RESTART;
            default -> throw ApiException.notFound("action", action);
        };
        boolean toRun = !action.equals("stop");
        if (toRun && !"running".equals(instance.desiredState)) {
            quotas.admit(instance.tenantId, new Demand(0, instance.vcpus, instance.memoryMiB, 0, 0, false, true));
            placement.admitStart(instance.hostId, instance.vcpus, instance.memoryMiB);
        }
        instance.desiredState = toRun ? "running" : "stopped";
        instance.updatedAt = Clock.now();
        Operation operation = operations.submit(instance.tenantId, kind, "instance", instance.id, Map.of());
        audit.record(instance.tenantId, kind, "instance", instance.id, "accepted", Map.of("name", instance.name));
        return operation;
    }

    /**
     * Changes an instance's vCPUs, memory or disk size. The growth is admitted against the tenant's
     * quota and the host's capacity at once; a running jail gets it live, a VM at its next start.
     * Disks only grow.
     */
    /** A change that was accepted: its operation and the instance's new ETag. */
    public record Changed(Operation operation, jakarta.ws.rs.core.EntityTag etag) {
    }

    /**
     * Resizes or changes the restart policy; with {@code ifMatch} (an ETag the caller read), only if
     * nobody changed the instance's settings since: otherwise 412 and nothing changes.
     */
    public Changed resize(UUID id, ResizeInstanceRequest request, String ifMatch) {
        Instance instance = find(id, true);
        InstanceETags.require(instance, ifMatch);
        Operation operation = resize(instance, request);
        instance.settingsVersion++;
        return new Changed(operation, InstanceETags.of(instance));
    }

    private Operation resize(Instance instance, ResizeInstanceRequest request) {
        requireIdle(instance);
        int vcpus = request.vcpus() != null ? request.vcpus() : instance.vcpus;
        int memoryMiB = request.memoryMiB() != null ? request.memoryMiB() : instance.memoryMiB;
        int diskGiB = request.diskGiB() != null ? request.diskGiB() : instance.diskGiB;
        boolean policyChanges = request.restartPolicy() != null && !request.restartPolicy().equals(instance.restartPolicy);
        boolean sizesChange = vcpus != instance.vcpus || memoryMiB != instance.memoryMiB || diskGiB != instance.diskGiB;
        if (policyChanges && !sizesChange) {
            Map<String, Object> change = Map.of("restartPolicy", request.restartPolicy(), "was", instance.restartPolicy);
            instance.restartPolicy = request.restartPolicy();
            instance.updatedAt = Clock.now();
            audit.record(instance.tenantId, UPDATE, "instance", instance.id, "succeeded", change);
            return operations.completed(instance.tenantId, UPDATE, "instance", instance.id, change);
        }
        if (policyChanges) {
            instance.restartPolicy = request.restartPolicy();
        }
        if (diskGiB < instance.diskGiB) {
            throw ApiException.badRequest("validation_failed", "disks only grow: " + instance.name + " has "
                    + instance.diskGiB + " GiB", Map.of("field", "diskGiB", "current", instance.diskGiB));
        }
        if (vcpus == instance.vcpus && memoryMiB == instance.memoryMiB && diskGiB == instance.diskGiB) {
            throw ApiException.badRequest("validation_failed", "the request changes nothing", null);
        }
        boolean running = "running".equals(instance.desiredState);
        int moreVcpus = vcpus - instance.vcpus;
        int moreMemory = memoryMiB - instance.memoryMiB;
        int moreDisk = diskGiB - instance.diskGiB;
        quotas.admit(instance.tenantId, new Demand(0, Math.max(moreVcpus, 0), Math.max(moreMemory, 0),
                Math.max(moreDisk, 0), 0, true, running));
        placement.admitGrowth(instance.hostId, running ? moreVcpus : 0, running ? moreMemory : 0, moreDisk);
        if (moreDisk > 0) {
            storageFloor.requireRoomOnHost(em.find(Host.class, instance.hostId), "a larger disk");
        }
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("from", Map.of("vcpus", instance.vcpus, "memoryMiB", instance.memoryMiB, "diskGiB", instance.diskGiB));
        input.put("to", Map.of("vcpus", vcpus, "memoryMiB", memoryMiB, "diskGiB", diskGiB));
        instance.vcpus = vcpus;
        instance.memoryMiB = memoryMiB;
        instance.diskGiB = diskGiB;
        instance.updatedAt = Clock.now();
        ledger.record(instance, InstanceState.RUNNING.equals(instance.actualState));
        Operation operation = operations.submit(instance.tenantId, RESIZE, "instance", instance.id, input);
        audit.record(instance.tenantId, RESIZE, "instance", instance.id, "accepted", input);
        return operation;
    }

    /** Takes a snapshot of the instance's storage, within the tenant's snapshots quota. */
    public Operation snapshot(UUID id, String name) {
        io.multiplicity.common.Names.requireDnsLabel("name", name);
        Instance instance = find(id, true);
        requireIdle(instance);
        long taken = InstanceSnapshot.count("instanceId = ?1 and name = ?2 and deletedAt is null", id, name);
        if (taken > 0) {
            throw ApiException.conflict("name_taken", "instance " + instance.name + " already has a snapshot " + name,
                    Map.of("field", "name"));
        }
        quotas.admitSnapshot(instance.tenantId);
        InstanceSnapshot snapshot = new InstanceSnapshot();
        snapshot.id = UUID.randomUUID();
        snapshot.instanceId = id;
        snapshot.tenantId = instance.tenantId;
        snapshot.name = name;
        snapshot.createdBy = caller.get().userId();
        snapshot.createdAt = Clock.now();
        em.persist(snapshot);
        Operation operation = operations.submit(instance.tenantId, SNAPSHOT, "instance", id, Map.of("name", name));
        audit.record(instance.tenantId, SNAPSHOT, "instance", id, "accepted", Map.of("snapshot", name));
        return operation;
    }

    /**
     * Gives the instance a fresh disk from {@code imageReference} (its own image's newest version
     * on the channel it was created from when null), keeping its id, name, address, sizes and keys.
     * The old disk and its snapshots are destroyed: the tenant asked for exactly that, and the
     * operation re-reads the instance before it destroys anything.
     */
    public Operation rebuild(UUID id, String imageReference) {
        Instance instance = find(id, true);
        requireIdle(instance);
        String reference = imageReference == null || imageReference.isBlank() ? instance.image : imageReference;
        ImageCatalog.Resolved image = catalog.resolve(instance.tenantId, instance.kind, reference);
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("from", instance.image + "@" + instance.imageVersion);
        input.put("to", reference + "@" + image.version().version);
        input.put("start", "running".equals(instance.desiredState));
        instance.image = reference;
        instance.imageVersion = image.version().version;
        instance.imageVersionId = image.version().id;
        instance.updatedAt = Clock.now();
        ledger.record(instance, InstanceState.RUNNING.equals(instance.actualState));
        Operation operation = operations.submit(instance.tenantId, REBUILD, "instance", id, input);
        audit.record(instance.tenantId, REBUILD, "instance", id, "accepted", input);
        return operation;
    }

    /** Rolls the instance's storage back to a snapshot; later snapshots are destroyed with it. */
    public Operation rollback(UUID id, String name) {
        return onSnapshot(id, name, ROLLBACK);
    }

    /**
     * Destroys one snapshot; it counts against the snapshots quota until its host has destroyed it.
     * Later snapshots stay (a ZFS snapshot is destroyed on its own; only a rollback takes later ones).
     */
    public Operation deleteSnapshot(UUID id, String name) {
        return onSnapshot(id, name, DELETE_SNAPSHOT);
    }

    /** Submits an operation {@code kind} on one of the instance's live snapshots; 404 for an unknown one. */
    private Operation onSnapshot(UUID id, String name, String kind) {
        Instance instance = find(id, true);
        requireIdle(instance);
        InstanceSnapshot snapshot = InstanceSnapshot.<InstanceSnapshot>find(
                "instanceId = ?1 and name = ?2 and deletedAt is null", id, name).firstResult();
        if (snapshot == null) {
            throw ApiException.notFound("snapshot", name);
        }
        Operation operation = operations.submit(instance.tenantId, kind, "instance", id, Map.of("name", name));
        audit.record(instance.tenantId, kind, "instance", id, "accepted", Map.of("snapshot", name));
        return operation;
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<InstanceSnapshot> snapshots(UUID id) {
        find(id, false);
        return InstanceSnapshot.list("instanceId = ?1 and deletedAt is null order by createdAt", id);
    }

    public Operation delete(UUID id) {
        Instance instance = find(id, true);
        requireIdle(instance);
        instance.desiredState = "deleted";
        instance.updatedAt = Clock.now();
        publicAccess.releaseAll(instance.id, instance.hostId);
        Operation operation = operations.submit(instance.tenantId, DELETE, "instance", instance.id, Map.of());
        audit.record(instance.tenantId, DELETE, "instance", instance.id, "accepted", Map.of("name", instance.name));
        return operation;
    }

    private void requireIdle(Instance instance) {
        operations.active(instance.id).ifPresent(active -> {
            throw ApiException.conflict("operation_in_progress",
                    "instance " + instance.name + " is busy with " + active.kind + " (" + active.state + ")",
                    Map.of("operation", active.id.toString()));
        });
    }

    private UUID tenantFor(CreateInstanceRequest request) {
        Caller.Principal principal = caller.get();
        if (request.tenant() == null) {
            return caller.requireTenant();
        }
        if (!principal.isPlatformAdmin()) {
            if (request.tenant().equals(principal.tenantSlug())) {
                return caller.requireTenant();
            }
            throw ApiException.forbidden("only platform admins create instances for another tenant");
        }
        return Tenant.findBySlug(request.tenant())
                .map(tenant -> tenant.id)
                .orElseThrow(() -> ApiException.badRequest("unknown_tenant", "there is no tenant '" + request.tenant() + "'",
                        Map.of("field", "tenant")));
    }
}
