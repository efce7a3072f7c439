package io.multiplicity.network;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The public addresses an admin gives each host: given whole to instances, or shared by port
 * forwards. An address is in at most one host's pool; one in use cannot be removed.
 */
@ApplicationScoped
@Transactional
public class AddressPool {

    /** At most this many addresses are added by one request (a /24). */
    static final int MAX_PER_REQUEST = 256;

    /**
     * One address of a host's pool and who holds it.
     *
     * @param tenant   the tenant it is given to (whole) or null
     * @param instance the instance it is given to or null
     * @param forwards the live port forwards it carries (shared addresses)
     */
    @Schema(requiredProperties = {"id", "address", "shared", "forwards", "createdAt"})
    public record PoolAddress(UUID id, String address, boolean shared, UUID tenant, UUID instance, long forwards,
            Instant createdAt) {
    }

    @Inject
    EntityManager em;

    @Inject
    AuditService audit;

    @Inject
    OperationService operations;

    @Inject
    Event<PublicAccessChanged> changed;

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<PoolAddress> list(UUID hostId) {
        requireHost(hostId, false);
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("select p.id, p.address, p.shared, a.tenant_id, a.instance_id,"
                        + " (select count(*) from port_forwards f where f.public_address_id = p.id"
                        + "   and f.released_at is null), p.created_at"
                        + " from public_addresses p left join address_assignments a on a.public_address_id = p.id"
                        + "   and a.released_at is null"
                        + " where p.host_id = ?1 and p.removed_at is null order by p.address::inet")
                .setParameter(1, hostId)
                .getResultList();
        return rows.stream().map(row -> new PoolAddress((UUID) row[0], (String) row[1], (Boolean) row[2], (UUID) row[3],
                        (UUID) row[4], ((Number) row[5]).longValue(), toInstant(row[6])))
                .toList();
    }

    /**
     * Adds addresses to the host's pool: single addresses, or every address of a network given in
     * CIDR notation (at most a /24). All or nothing: one address already in a pool refuses the lot.
     */
    public Operation add(UUID hostId, List<String> addresses, boolean shared) {
        requireHost(hostId, true);
        Set<String> wanted = new LinkedHashSet<>();
        for (String text : addresses) {
            for (String address : expand(text)) {
                wanted.add(address);
                if (wanted.size() > MAX_PER_REQUEST) {
                    throw ApiException.badRequest("too_many_addresses", "at most " + MAX_PER_REQUEST
                            + " addresses in one request", Map.of("field", "addresses"));
                }
            }
        }
        if (wanted.isEmpty()) {
            throw ApiException.badRequest("invalid_address", "name at least one address", Map.of("field", "addresses"));
        }
        List<String> taken = em.createQuery("select p.address from PublicAddress p where p.removedAt is null"
                        + " and p.address in :addresses", String.class)
                .setParameter("addresses", wanted)
                .getResultList();
        if (!taken.isEmpty()) {
            throw ApiException.conflict("address_in_pool", "already in a host's pool: " + String.join(", ", taken),
                    Map.of("addresses", taken));
        }
        Instant now = Clock.now();
        for (String address : wanted) {
            PublicAddress entry = new PublicAddress();
            entry.id = UUID.randomUUID();
            entry.hostId = hostId;
            entry.address = address;
            entry.shared = shared;
            entry.createdAt = now;
            em.persist(entry);
        }
        Map<String, Object> details = Map.of("addresses", List.copyOf(wanted), "shared", shared);
        audit.record(null, "host.addresses.add", "host", hostId, "succeeded", details);
        return operations.completed(null, "host.addresses.add", "host", hostId, details);
    }

    /** Takes an address out of the host's pool; refused while it is given to an instance or carries forwards. */
    public Operation remove(UUID hostId, String address) {
        requireHost(hostId, true);
        PublicAddress entry = em.createQuery("from PublicAddress p where p.hostId = :host and p.address = :address"
                        + " and p.removedAt is null", PublicAddress.class)
                .setParameter("host", hostId)
                .setParameter("address", address)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE)
                .getResultStream().findFirst()
                .orElseThrow(() -> ApiException.notFound("public address", address));
        long users = em.createQuery("select count(a) from AddressAssignment a where a.publicAddressId = :id"
                        + " and a.releasedAt is null", Long.class).setParameter("id", entry.id).getSingleResult()
                + em.createQuery("select count(f) from PortForward f where f.publicAddressId = :id"
                        + " and f.releasedAt is null", Long.class).setParameter("id", entry.id).getSingleResult();
        if (users > 0) {
            throw ApiException.conflict("address_in_use", address + " is in use by " + users
                    + " instance address or forward(s); they must be released first", Map.of("inUse", users));
        }
        entry.removedAt = Clock.now();
        Map<String, Object> details = Map.of("address", address);
        audit.record(null, "host.addresses.remove", "host", hostId, "succeeded", details);
        changed.fire(new PublicAccessChanged(hostId));
        return operations.completed(null, "host.addresses.remove", "host", hostId, details);
    }

    private void requireHost(UUID hostId, boolean lock) {
        Object host = lock ? em.find(io.multiplicity.host.Host.class, hostId, LockModeType.PESSIMISTIC_WRITE)
                : em.find(io.multiplicity.host.Host.class, hostId);
        if (host == null) {
            throw ApiException.notFound("host", hostId);
        }
    }

    /** The addresses a text names: one IPv4 address, or a network in CIDR notation (/24 to /32). */
    static List<String> expand(String text) {
        Ipv4.Network network;
        try {
            network = Ipv4.network(text, false);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_address", e.getMessage(), Map.of("field", "addresses"));
        }
        if (network.prefix() < 24) {
            throw ApiException.badRequest("invalid_address", text + " is larger than a /24: add at most 256 addresses"
                    + " at a time", Map.of("field", "addresses"));
        }
        List<String> addresses = new ArrayList<>();
        for (int offset = 0; offset < network.size(); offset++) {
            addresses.add(Ipv4.format(network.base() + offset));
        }
        return addresses;
    }

    private static Instant toInstant(Object value) {
        return value instanceof java.time.OffsetDateTime time ? time.toInstant() : (Instant) value;
    }
}
