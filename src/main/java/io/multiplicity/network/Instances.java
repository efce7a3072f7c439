package io.multiplicity.network;

import io.multiplicity.common.ApiException;
import jakarta.persistence.EntityManager;
import java.util.List;
import java.util.UUID;

/**
 * The few facts of an instance that public access needs, read by the network package without
 * depending on the instance package (which depends on this one for addresses).
 *
 * @param id       the instance
 * @param tenantId its tenant
 * @param name     its name
 * @param hostId   its host, or null before placement
 * @param address  its private address, or null
 */
record Instances(UUID id, UUID tenantId, String name, UUID hostId, String address) {

    /**
     * The live instance {@code id} as the caller may see it ({@code scope} null: any tenant's);
     * 404 otherwise, the same for another tenant's instance as for none. {@code lock} takes its row
     * lock, so it cannot be deleted under the caller.
     */
    static Instances find(EntityManager em, UUID id, UUID scope, boolean lock) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("select id, tenant_id, name, host_id, address from instances"
                        + " where id = ?1 and deleted_at is null" + (lock ? " for update" : ""))
                .setParameter(1, id)
                .getResultList();
        if (rows.isEmpty() || (scope != null && !scope.equals(rows.get(0)[1]))) {
            throw ApiException.notFound("instance", id);
        }
        Object[] row = rows.get(0);
        return new Instances((UUID) row[0], (UUID) row[1], (String) row[2], (UUID) row[3], (String) row[4]);
    }

    /** Refuses an instance that has no address on a host yet. */
    Instances placed() {
        if (hostId == null || address == null) {
            throw ApiException.conflict("instance_not_placed",
                    "the instance " + name + " has no address on a host yet; try again once it is created", null);
        }
        return this;
    }
}
