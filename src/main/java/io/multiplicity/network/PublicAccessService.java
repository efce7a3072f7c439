package io.multiplicity.network;

import io.multiplicity.accounting.Demand;
import io.multiplicity.accounting.Quotas;
import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.identity.Caller;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A tenant's way in from outside: public addresses given whole to its instances (1:1 NAT) and
 * ports of the host's shared addresses forwarded to them. Each counts one against the tenant's
 * {@code addresses} quota from its creation to its release and is billed per hour for that time.
 * Lock order: tenant (admission), then the instance, then public addresses.
 */
@ApplicationScoped
@Transactional
public class PublicAccessService {

    /** What a tenant sees of a public address given to one of its instances. */
    @Schema(requiredProperties = {"id", "address", "instance", "instanceName", "createdAt"})
    public record AddressView(UUID id, String address, UUID instance, String instanceName, Instant createdAt) {
    }

    /** What a tenant sees of a port forward. */
    @Schema(requiredProperties = {"id", "address", "protocol", "port", "instance", "instanceName", "targetPort",
            "createdAt"})
    public record ForwardView(UUID id, String address,
            @Schema(enumeration = {"tcp", "udp"}) String protocol, int port, UUID instance, String instanceName,
            int targetPort, Instant createdAt) {
    }

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    Quotas quotas;

    @Inject
    AuditService audit;

    @Inject
    OperationService operations;

    @Inject
    Event<PublicAccessChanged> changed;

    // ---------------------------------------------------------------- public addresses

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<AddressView> addresses() {
        UUID scope = caller.tenantScope();
        var query = em.createQuery("select a.id, p.address, a.instanceId, i.name, a.createdAt from AddressAssignment a,"
                        + " PublicAddress p, Instance i where p.id = a.publicAddressId and i.id = a.instanceId"
                        + " and a.releasedAt is null" + (scope == null ? "" : " and a.tenantId = :tenant")
                        + " order by a.createdAt, a.id", Object[].class);
        if (scope != null) {
            query.setParameter("tenant", scope);
        }
        return query.getResultList().stream()
                .map(row -> new AddressView((UUID) row[0], (String) row[1], (UUID) row[2], (String) row[3],
                        (Instant) row[4]))
                .toList();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public AddressView address(UUID id) {
        return addresses().stream().filter(view -> view.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("address", id));
    }

    /** Gives the instance a free public address of its host, whole. */
    public Operation assign(UUID instanceId) {
        UUID scope = caller.tenantScope();
        Instances seen = Instances.find(em, instanceId, scope, false).placed();
        quotas.admit(seen.tenantId(), Demand.addresses(1));
        Instances instance = Instances.find(em, instanceId, scope, true).placed();
        long held = em.createQuery("select count(a) from AddressAssignment a where a.instanceId = :instance"
                        + " and a.releasedAt is null", Long.class)
                .setParameter("instance", instanceId)
                .getSingleResult();
        if (held > 0) {
            throw ApiException.conflict("address_held", "the instance " + instance.name()
                    + " has a public address already", Map.of("instance", instanceId));
        }
        @SuppressWarnings("unchecked")
        List<Object[]> free = em.createNativeQuery("select p.id, p.address from public_addresses p"
                        + " where p.host_id = ?1 and not p.shared and p.removed_at is null"
                        + " and not exists (select 1 from address_assignments a where a.public_address_id = p.id"
                        + "   and a.released_at is null)"
                        + " order by p.address::inet limit 1 for update skip locked")
                .setParameter(1, instance.hostId())
                .getResultList();
        if (free.isEmpty()) {
            throw ApiException.conflict("no_public_address_left", "the host of " + instance.name()
                    + " has no free public address; an admin can add some to its pool", null);
        }
        AddressAssignment assignment = new AddressAssignment();
        assignment.id = UUID.randomUUID();
        assignment.tenantId = instance.tenantId();
        assignment.instanceId = instanceId;
        assignment.publicAddressId = (UUID) free.get(0)[0];
        assignment.createdAt = Clock.now();
        em.persist(assignment);
        Map<String, Object> details = Map.of("address", free.get(0)[1], "instance", instanceId,
                "instanceName", instance.name());
        audit.record(instance.tenantId(), "address.assign", "address", assignment.id, "succeeded", details);
        changed.fire(new PublicAccessChanged(instance.hostId()));
        return operations.completed(instance.tenantId(), "address.assign", "address", assignment.id, details);
    }

    /** Takes the public address back from its instance; it stops answering at once. */
    public Operation release(UUID id) {
        UUID scope = caller.tenantScope();
        AddressAssignment assignment = em.find(AddressAssignment.class, id,
                jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (assignment == null || assignment.releasedAt != null
                || (scope != null && !scope.equals(assignment.tenantId))) {
            throw ApiException.notFound("address", id);
        }
        assignment.releasedAt = Clock.now();
        PublicAddress address = em.find(PublicAddress.class, assignment.publicAddressId);
        Map<String, Object> details = Map.of("address", address.address, "instance", assignment.instanceId);
        audit.record(assignment.tenantId, "address.release", "address", id, "succeeded", details);
        changed.fire(new PublicAccessChanged(address.hostId));
        return operations.completed(assignment.tenantId, "address.release", "address", id, details);
    }

    // ---------------------------------------------------------------- port forwards

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<ForwardView> forwards() {
        UUID scope = caller.tenantScope();
        var query = em.createQuery("select f.id, p.address, f.protocol, f.port, f.instanceId, i.name, f.targetPort,"
                        + " f.createdAt from PortForward f, PublicAddress p, Instance i where p.id = f.publicAddressId"
                        + " and i.id = f.instanceId and f.releasedAt is null"
                        + (scope == null ? "" : " and f.tenantId = :tenant") + " order by f.createdAt, f.id",
                        Object[].class);
        if (scope != null) {
            query.setParameter("tenant", scope);
        }
        return query.getResultList().stream()
                .map(row -> new ForwardView((UUID) row[0], (String) row[1], (String) row[2], (Integer) row[3],
                        (UUID) row[4], (String) row[5], (Integer) row[6], (Instant) row[7]))
                .toList();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public ForwardView forward(UUID id) {
        return forwards().stream().filter(view -> view.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("forward", id));
    }

    /**
     * Forwards {@code port}/{@code protocol} of a shared public address of the instance's host to
     * the instance's {@code targetPort}: of {@code address} when given, else of the first shared
     * address where that port is free.
     */
    public Operation forward(UUID instanceId, String protocol, int port, int targetPort, String address) {
        UUID scope = caller.tenantScope();
        Instances seen = Instances.find(em, instanceId, scope, false).placed();
        quotas.admit(seen.tenantId(), Demand.addresses(1));
        Instances instance = Instances.find(em, instanceId, scope, true).placed();
        var sharedQuery = em.createNativeQuery("select p.id, p.address from public_addresses p"
                        + " where p.host_id = ?1 and p.shared and p.removed_at is null"
                        + (address == null ? "" : " and p.address = ?2")
                        + " order by p.address::inet for update")
                .setParameter(1, instance.hostId());
        if (address != null) {
            sharedQuery.setParameter(2, address);
        }
        @SuppressWarnings("unchecked")
        List<Object[]> shared = sharedQuery.getResultList();
        if (shared.isEmpty()) {
            throw address == null
                    ? ApiException.conflict("no_shared_address", "the host of " + instance.name()
                            + " has no shared public address for port forwards; an admin can add one", null)
                    : ApiException.badRequest("invalid_address", address + " is not a shared public address of the"
                            + " host of " + instance.name(), Map.of("field", "address"));
        }
        for (Object[] candidate : shared) {
            long taken = em.createQuery("select count(f) from PortForward f where f.publicAddressId = :address"
                            + " and f.protocol = :protocol and f.port = :port and f.releasedAt is null", Long.class)
                    .setParameter("address", candidate[0])
                    .setParameter("protocol", protocol)
                    .setParameter("port", port)
                    .getSingleResult();
            if (taken > 0) {
                continue;
            }
            PortForward forward = new PortForward();
            forward.id = UUID.randomUUID();
            forward.tenantId = instance.tenantId();
            forward.instanceId = instanceId;
            forward.publicAddressId = (UUID) candidate[0];
            forward.protocol = protocol;
            forward.port = port;
            forward.targetPort = targetPort;
            forward.createdAt = Clock.now();
            em.persist(forward);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("address", candidate[1]);
            details.put("protocol", protocol);
            details.put("port", port);
            details.put("instance", instanceId);
            details.put("instanceName", instance.name());
            details.put("targetPort", targetPort);
            audit.record(instance.tenantId(), "forward.create", "forward", forward.id, "succeeded", details);
            changed.fire(new PublicAccessChanged(instance.hostId()));
            return operations.completed(instance.tenantId(), "forward.create", "forward", forward.id, details);
        }
        throw ApiException.conflict("port_taken", "port " + port + "/" + protocol + " is taken on "
                + (address == null ? "every shared public address of the host" : address)
                + "; choose another port", Map.of("field", "port", "port", port, "protocol", protocol));
    }

    /** Removes a port forward; the port stops answering at once. */
    public Operation deleteForward(UUID id) {
        UUID scope = caller.tenantScope();
        PortForward forward = em.find(PortForward.class, id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (forward == null || forward.releasedAt != null || (scope != null && !scope.equals(forward.tenantId))) {
            throw ApiException.notFound("forward", id);
        }
        forward.releasedAt = Clock.now();
        PublicAddress address = em.find(PublicAddress.class, forward.publicAddressId);
        Map<String, Object> details = Map.of("address", address.address, "protocol", forward.protocol,
                "port", forward.port, "instance", forward.instanceId);
        audit.record(forward.tenantId, "forward.delete", "forward", id, "succeeded", details);
        changed.fire(new PublicAccessChanged(address.hostId));
        return operations.completed(forward.tenantId, "forward.delete", "forward", id, details);
    }

    // ---------------------------------------------------------------- instances going away

    /**
     * Releases every public address and forward of an instance that is being deleted, in the
     * caller's transaction; the host stops publishing them (and filtering inside for it) once it
     * commits.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void releaseAll(UUID instanceId, UUID hostId) {
        Instant now = Clock.now();
        int released = em.createQuery("update AddressAssignment a set a.releasedAt = :now where a.instanceId = :id"
                        + " and a.releasedAt is null")
                .setParameter("now", now).setParameter("id", instanceId).executeUpdate()
                + em.createQuery("update PortForward f set f.releasedAt = :now where f.instanceId = :id"
                        + " and f.releasedAt is null")
                .setParameter("now", now).setParameter("id", instanceId).executeUpdate();
        // a firewall that filtered the instance's own network goes with it (its address may be given again)
        boolean filteredInside = !em.createNativeQuery("select 1 from instances i join firewalls f on f.id = i.firewall_id"
                        + " where i.id = ?1 and f.inside = 'filtered'")
                .setParameter(1, instanceId).getResultList().isEmpty();
        if ((released > 0 || filteredInside) && hostId != null) {
            changed.fire(new PublicAccessChanged(hostId));
        }
    }
}
