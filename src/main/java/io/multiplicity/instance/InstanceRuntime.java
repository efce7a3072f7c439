package io.multiplicity.instance;

import io.multiplicity.accounting.AllocationLedger;
import io.multiplicity.catalog.Image;
import io.multiplicity.catalog.ImageVersion;
import io.multiplicity.common.Clock;
import io.multiplicity.event.EventService;
import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.network.Ipam;
import io.multiplicity.network.TenantNetwork;
import io.multiplicity.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * What the instance operation handlers share: reading an instance and its spec, reaching its host,
 * and recording actual state, each in a short transaction of its own so that no transaction spans
 * a call to a host.
 */
@ApplicationScoped
public class InstanceRuntime {

    @Inject
    io.multiplicity.network.PublicAccessService publicAccess;

    @Inject
    EntityManager em;

    @Inject
    HostDrivers drivers;

    @Inject
    EventService events;

    @Inject
    AllocationLedger ledger;

    /** A snapshot of the instance for a handler, read in its own transaction. */
    public record Target(Instance instance, InstanceSpec spec, HostDriver driver) {
    }

    public Target load(UUID id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Instance instance = em.find(Instance.class, id);
            if (instance == null) {
                throw new IllegalStateException("instance " + id + " does not exist");
            }
            em.detach(instance);
            InstanceSpec spec = spec(instance, instance.networkId, instance.address);
            return new Target(instance, spec, drivers.forHost(instance.hostId));
        });
    }

    /** The instance's spec as it would be on another network with another address (a moving instance's). */
    public InstanceSpec specOn(UUID id, UUID networkId, String address) {
        return QuarkusTransaction.requiringNew().call(() -> spec(em.find(Instance.class, id), networkId, address));
    }

    private InstanceSpec spec(Instance instance, UUID networkId, String address) {
        InstanceSpec.NetworkAttachment attachment = null;
        if (networkId != null && address != null) {
            TenantNetwork network = em.find(TenantNetwork.class, networkId);
            Tenant tenant = em.find(Tenant.class, instance.tenantId);
            attachment = new InstanceSpec.NetworkAttachment(network.vlan, address,
                    Ipam.prefixLength(network), network.gateway, tenant.slug + ".internal", tenant.egress);
        }
        return new InstanceSpec(instance.id, instance.tenantId, instance.name, instance.kind,
                hostImage(instance), instance.vcpus, instance.memoryMiB, instance.diskGiB, attachment,
                new io.multiplicity.host.contract.InstanceMetadata(instance.sshKeys, instance.userData));
    }

    /** The host's name for the exact image version of the instance: dataset key and snapshot. */
    private String hostImage(Instance instance) {
        if (instance.imageVersionId == null) {
            return instance.image;
        }
        String known = hostImages.get(instance.imageVersionId);
        if (known != null) {
            return known;
        }
        ImageVersion version = em.find(ImageVersion.class, instance.imageVersionId);
        Image image = em.find(Image.class, version.imageId);
        String name = image.storageKey + "@v" + version.seq;
        if (hostImages.size() < 10_000) {
            hostImages.put(instance.imageVersionId, name);
        }
        return name;
    }

    /** Image version → the hosts' name for it: a version's storage key and sequence never change. */
    private final Map<UUID, String> hostImages = new java.util.concurrent.ConcurrentHashMap<>();

    /** Sets the actual state (and detail) and records the change as an event. */
    public void state(UUID id, String state, String detail) {
        update(id, instance -> {
            instance.actualState = state;
            instance.stateDetail = detail;
        });
    }

    /**
     * Records a state the reconciler observed, unless the instance changed since it was read
     * ({@code seen} is its updatedAt then) or an operation on it is under way: those know better.
     */
    public boolean reconcile(UUID id, java.time.Instant seen, String state, String detail) {
        boolean current = QuarkusTransaction.requiringNew().call(() -> {
            Instance instance = em.find(Instance.class, id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
            long active = em.createQuery("select count(o) from Operation o where o.targetId = :id"
                    + " and o.state in ('pending', 'running')", Long.class).setParameter("id", id).getSingleResult();
            return instance != null && active == 0 && seen != null && seen.equals(instance.updatedAt);
        });
        if (!current) {
            return false;
        }
        update(id, instance -> {
            if (seen.equals(instance.updatedAt)) {
                instance.actualState = state;
                instance.stateDetail = detail;
            }
        });
        return true;
    }

    /**
     * Sets the actual state (and detail) as {@link #state} does, in the caller's transaction: for a
     * state that commits with the operation's outcome ({@code OperationContext.onSuccess}).
     */
    public void stateInTransaction(UUID id, String state, String detail) {
        apply(id, instance -> {
            instance.actualState = state;
            instance.stateDetail = detail;
        });
    }

    public void update(UUID id, Consumer<Instance> change) {
        QuarkusTransaction.requiringNew().run(() -> apply(id, change));
    }

    /** Changes the instance in the caller's transaction, with what follows from its state: ledger, event. */
    private void apply(UUID id, Consumer<Instance> change) {
        Instance instance = em.find(Instance.class, id);
        if (instance == null) {
            return;
        }
        String before = instance.actualState;
        change.accept(instance);
        instance.updatedAt = Clock.now();
        boolean wasRunning = InstanceState.RUNNING.equals(before);
        boolean isRunning = InstanceState.RUNNING.equals(instance.actualState);
        if (instance.deletedAt != null) {
            ledger.end(instance.id);
            publicAccess.releaseAll(instance.id, instance.hostId);
        } else if (InstanceState.UNKNOWN.equals(instance.actualState)) {
            // A host that stopped reporting changes nothing the instance holds or is billed for:
            // the ledger keeps its period until the host says what really happened.
        } else if (wasRunning != isRunning || InstanceState.UNKNOWN.equals(before)) {
            ledger.record(instance, isRunning);
        }
        if (!instance.actualState.equals(before)) {
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("name", instance.name);
            payload.put("state", instance.actualState);
            payload.put("previous", before);
            if (instance.stateDetail != null) {
                payload.put("detail", instance.stateDetail);
            }
            events.record(instance.tenantId, "instance.state", "instance", instance.id, payload);
        }
    }

    /** Marks a snapshot gone. */
    public void forgetSnapshot(UUID instanceId, String name) {
        QuarkusTransaction.requiringNew().run(() -> em.createQuery("update InstanceSnapshot s set s.deletedAt = :now"
                        + " where s.instanceId = :id and s.name = :name and s.deletedAt is null")
                .setParameter("now", Clock.now()).setParameter("id", instanceId).setParameter("name", name)
                .executeUpdate());
    }

    /**
     * Marks gone the snapshots taken after {@code name} (a rollback destroys them), or all of the
     * instance's snapshots when {@code name} is null.
     */
    public void forgetSnapshotsAfter(UUID instanceId, String name) {
        QuarkusTransaction.requiringNew().run(() -> {
            var query = name == null
                    ? em.createQuery("update InstanceSnapshot s set s.deletedAt = :now where s.instanceId = :id"
                            + " and s.deletedAt is null")
                    : em.createQuery("update InstanceSnapshot s set s.deletedAt = :now where s.instanceId = :id"
                            + " and s.deletedAt is null and s.createdAt > (select t.createdAt from InstanceSnapshot t"
                            + " where t.instanceId = :id and t.name = :name and t.deletedAt is null)")
                            .setParameter("name", name);
            query.setParameter("now", Clock.now()).setParameter("id", instanceId).executeUpdate();
        });
    }

    /** The tenant-visible state for what a host reports. */
    public static String stateOf(InstanceStatus status) {
        return switch (status.state()) {
            case RUNNING -> InstanceState.RUNNING;
            case STOPPED -> InstanceState.STOPPED;
            case CRASHED -> InstanceState.CRASHED;
            case ABSENT -> InstanceState.ERROR;
        };
    }

    public static Duration stopTimeout(Map<String, Object> input) {
        Object seconds = input.get("timeoutSeconds");
        return Duration.ofSeconds(seconds instanceof Number number ? number.longValue() : 30);
    }
}
