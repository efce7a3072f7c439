package io.multiplicity.instance;

import io.multiplicity.accounting.AllocationLedger;
import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.host.Host;
import io.multiplicity.host.Placement;
import io.multiplicity.network.Ipam;
import io.multiplicity.network.TenantNetwork;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Moving instances between hosts, for platform admins: one instance ({@code POST /instances/{id}/move})
 * or every instance of a host being drained. The move itself is an {@code instance.move} operation
 * ({@link InstanceHandlers.Move}); this service admits it and owns its transactions: where the
 * instance goes, its address there, and the switch of its row to the new host, which happens only
 * after the new host verified what it received.
 */
@ApplicationScoped
@Transactional
public class InstanceMoves {

    public static final String MOVE = "instance.move";
    public static final String DRAIN = "host.drain";

    /** What a drain does with instances that run: leaves them ({@code LEAVE}) or stops, moves and starts them again. */
    public enum RunningInstances {
        LEAVE, STOP_MOVE_START;

        public static RunningInstances of(String value) {
            if (value == null || value.isBlank()) {
                return LEAVE;
            }
            if (value.equals("stop-move-start")) {
                return STOP_MOVE_START;
            }
            throw ApiException.badRequest("validation_failed", "running must be stop-move-start or absent",
                    Map.of("field", "running"));
        }
    }

    @Inject
    EntityManager em;

    @Inject
    Placement placement;

    @Inject
    Ipam ipam;

    @Inject
    OperationService operations;

    @Inject
    AuditService audit;

    @Inject
    AllocationLedger ledger;

    /**
     * Moves one instance to {@code to} (or where placement puts it, never its own host); a running
     * one only with {@code running = STOP_MOVE_START}. 409 when it cannot move now.
     */
    public Operation move(UUID id, UUID to, RunningInstances running) {
        Instance instance = em.find(Instance.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (instance == null || instance.deletedAt != null) {
            throw ApiException.notFound("instance", id);
        }
        String refusal = refusal(instance, running);
        if (refusal != null) {
            throw ApiException.conflict("instance_not_movable", refusal, Map.of("instance", instance.name));
        }
        return submit(instance, to, running);
    }

    /**
     * Drains a host: cordons it (if it is not) and moves its instances away, each by an operation of
     * its own. Running instances move only with {@code STOP_MOVE_START}; the ones that cannot move now
     * are listed with the reason. Returns the drain's own operation, whose input lists both.
     */
    public Operation drain(UUID hostId, RunningInstances running) {
        Host host = em.find(Host.class, hostId, LockModeType.PESSIMISTIC_WRITE);
        if (host == null) {
            throw ApiException.notFound("host", hostId);
        }
        if (!host.cordoned) {
            host.cordoned = true;
            audit.record(null, io.multiplicity.host.HostService.CORDON, "host", host.id, "succeeded",
                    Map.of("host", host.name, "by", DRAIN));
        }
        em.flush();
        List<Instance> held = em.createQuery("from Instance i where i.hostId = :host and i.deletedAt is null"
                        + " order by i.createdAt, i.id", Instance.class)
                .setParameter("host", hostId)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE)
                .getResultList();
        List<Map<String, Object>> moves = new ArrayList<>();
        List<Map<String, Object>> left = new ArrayList<>();
        // What this drain's moves will bring each host: admitted only as each lands, counted here at once.
        Map<UUID, Placement.Allocated> promised = new HashMap<>();
        for (Instance instance : held) {
            String refusal = refusal(instance, running);
            if (refusal != null) {
                left.add(Map.of("instance", instance.id.toString(), "name", instance.name, "reason", refusal));
                continue;
            }
            // A refusal is answered, not thrown: an exception out of a transactional bean would
            // roll back the whole drain (its cordon and every other move with it).
            boolean runs = "running".equals(instance.desiredState);
            Placement.Choice choice = placement.attempt(new Placement.Request(instance.tenantId,
                    instance.placementGroup, instance.kind, instance.vcpus, instance.memoryMiB, instance.diskGiB, runs,
                    instance.hostId), promised);
            if (choice.refusal() != null) {
                left.add(Map.of("instance", instance.id.toString(), "name", instance.name, "reason",
                        choice.refusal().getMessage()));
                continue;
            }
            promised.merge(choice.host().id, new Placement.Allocated(runs ? instance.vcpus : 0,
                    runs ? instance.memoryMiB : 0, instance.diskGiB), Placement.Allocated::plus);
            Operation move = submitTo(instance, choice.host());
            moves.add(Map.of("instance", instance.id.toString(), "name", instance.name, "operation",
                    move.id.toString(), "to", choice.host().name));
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("host", host.name);
        detail.put("running", running == RunningInstances.STOP_MOVE_START ? "stop-move-start" : "left");
        detail.put("moves", moves);
        detail.put("left", left);
        audit.record(null, DRAIN, "host", host.id, "accepted", detail);
        return operations.completed(null, DRAIN, "host", host.id, detail);
    }

    /** Why the instance cannot move now, or null. */
    private String refusal(Instance instance, RunningInstances running) {
        if (operations.active(instance.id).isPresent()) {
            return "an operation on " + instance.name + " is under way";
        }
        if ("running".equals(instance.desiredState) && running != RunningInstances.STOP_MOVE_START) {
            return instance.name + " runs: stop it first, or ask for running=stop-move-start";
        }
        if (InstanceState.PROVISIONING.equals(instance.actualState) || InstanceState.UNKNOWN.equals(instance.actualState)) {
            return instance.name + " is " + instance.actualState;
        }
        Number publicAddresses = (Number) em.createNativeQuery("select (select count(*) from address_assignments"
                        + " where instance_id = ?1 and released_at is null) + (select count(*) from port_forwards"
                        + " where instance_id = ?1 and released_at is null)")
                .setParameter(1, instance.id).getSingleResult();
        if (publicAddresses.longValue() > 0) {
            return instance.name + " holds a public address or port forward of its host: release it first";
        }
        return null;
    }

    private Operation submit(Instance instance, UUID to, RunningInstances running) {
        boolean runs = "running".equals(instance.desiredState);
        Host target;
        if (to != null) {
            target = em.find(Host.class, to, LockModeType.PESSIMISTIC_WRITE);
            if (target == null) {
                throw ApiException.notFound("host", to);
            }
            if (target.id.equals(instance.hostId)) {
                throw ApiException.conflict("instance_not_movable", instance.name + " is on " + target.name + " already",
                        Map.of("host", target.name));
            }
            if (target.cordoned || !"ready".equals(target.state) || !target.kindSet().contains(instance.kind)) {
                throw ApiException.conflict("host_unavailable", "host " + target.name + " takes no " + instance.kind
                        + " now (" + (target.cordoned ? "cordoned" : target.state) + ")", Map.of("host", target.name));
            }
            placement.admitGrowth(target.id, runs ? instance.vcpus : 0, runs ? instance.memoryMiB : 0, instance.diskGiB);
        } else {
            target = placement.choose(new Placement.Request(instance.tenantId, instance.placementGroup, instance.kind,
                    instance.vcpus, instance.memoryMiB, instance.diskGiB, runs, instance.hostId));
        }
        return submitTo(instance, target);
    }

    private Operation submitTo(Instance instance, Host target) {
        boolean runs = "running".equals(instance.desiredState);
        Host source = em.find(Host.class, instance.hostId);
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("from", instance.hostId.toString());
        input.put("fromName", source.name);
        input.put("to", target.id.toString());
        input.put("toName", target.name);
        input.put("restart", runs);
        Operation operation = operations.submit(instance.tenantId, MOVE, "instance", instance.id, input);
        audit.record(instance.tenantId, MOVE, "instance", instance.id, "accepted", input);
        return operation;
    }

    /** Where a moving instance's network lands on the new host. */
    public record Landing(UUID networkId, String address, boolean addressKept) {
    }

    /**
     * The instance's network on host {@code to} and its address there: the same address when the
     * tenant's network on that host has the same subnet and the address is free in it, else the
     * lowest free one.
     */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public Landing landing(UUID id, UUID to) {
        Instance instance = em.find(Instance.class, id);
        em.find(Host.class, to, LockModeType.PESSIMISTIC_WRITE);
        TenantNetwork network = ipam.network(instance.tenantId, to);
        TenantNetwork current = instance.networkId == null ? null : em.find(TenantNetwork.class, instance.networkId);
        if (instance.address != null && current != null && current.subnet.equals(network.subnet)) {
            long taken = em.createQuery("select count(i) from Instance i where i.networkId = :network"
                            + " and i.address = :address and i.deletedAt is null", Long.class)
                    .setParameter("network", network.id).setParameter("address", instance.address).getSingleResult();
            if (taken == 0) {
                return new Landing(network.id, instance.address, true);
            }
        }
        return new Landing(network.id, ipam.allocate(network), false);
    }

    /**
     * Switches the instance's row to the new host, only if the row still says it is on {@code from}
     * and every snapshot the database lists arrived; the new host's capacity is admitted again under
     * its lock. Throws (and changes nothing) otherwise. Answers where the instance landed: the
     * address {@link #landing} chose, or, when another instance took it meanwhile (two moves to the
     * same host and network at once), the lowest free one, chosen under the new host's lock.
     */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public Landing commit(UUID id, UUID from, UUID to, Landing landing, List<String> receivedSnapshots) {
        Instance instance = em.find(Instance.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (instance == null || instance.deletedAt != null || !from.equals(instance.hostId)) {
            throw new IllegalStateException("instance " + id + " is no longer on the host it was moving from");
        }
        List<String> expected = em.createQuery("select s.name from InstanceSnapshot s where s.instanceId = :id"
                        + " and s.deletedAt is null", String.class)
                .setParameter("id", id).getResultList();
        List<String> missing = expected.stream().filter(name -> !receivedSnapshots.contains(name)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the new host did not receive the snapshots " + missing);
        }
        boolean runs = "running".equals(instance.desiredState);
        em.find(Host.class, to, LockModeType.PESSIMISTIC_WRITE);
        placement.admitGrowth(to, runs ? instance.vcpus : 0, runs ? instance.memoryMiB : 0, instance.diskGiB);
        Landing landed = landing;
        long taken = em.createQuery("select count(i) from Instance i where i.networkId = :network"
                        + " and i.address = :address and i.deletedAt is null and i.id <> :id", Long.class)
                .setParameter("network", landing.networkId()).setParameter("address", landing.address())
                .setParameter("id", id).getSingleResult();
        if (taken > 0) {
            landed = new Landing(landing.networkId(), ipam.allocate(em.find(TenantNetwork.class, landing.networkId())),
                    false);
        }
        instance.hostId = to;
        instance.networkId = landed.networkId();
        instance.address = landed.address();
        instance.updatedAt = Clock.now();
        ledger.record(instance, InstanceState.RUNNING.equals(instance.actualState));
        return landed;
    }

    /** The host the instance's row names right now, read afresh; null when it is gone. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public UUID hostOf(UUID id) {
        Instance instance = em.find(Instance.class, id);
        return instance == null || instance.deletedAt != null ? null : instance.hostId;
    }
}
