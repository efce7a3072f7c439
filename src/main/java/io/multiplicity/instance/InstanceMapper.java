package io.multiplicity.instance;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** Maps instance entities to API records, resolving tenant and host names in bulk. */
@ApplicationScoped
public class InstanceMapper {

    @Inject
    EntityManager em;

    public List<InstanceView> toViews(List<Instance> instances) {
        // One statement each for the names of the page's tenants and hosts, not a row per instance:
        // a tenant's instances spread over many hosts.
        Map<UUID, String> tenants = names("tenants", "slug", instances.stream().map(instance -> instance.tenantId).toList());
        Map<UUID, String> hosts = names("hosts", "name", instances.stream().map(instance -> instance.hostId).toList());
        return instances.stream().map(instance -> toView(instance, tenants, hosts)).toList();
    }

    public InstanceView toView(Instance instance) {
        return toViews(List.of(instance)).get(0);
    }

    /** The names of the rows of a table with these ids. */
    private Map<UUID, String> names(String table, String column, Collection<UUID> ids) {
        UUID[] distinct = ids.stream().filter(Objects::nonNull).distinct().toArray(UUID[]::new);
        Map<UUID, String> names = new HashMap<>();
        if (distinct.length == 0) {
            return names;
        }
        for (Object found : em.createNativeQuery("select id, " + column + " from " + table + " where id = any(?1)")
                .setParameter(1, distinct).getResultList()) {
            Object[] row = (Object[]) found;
            names.put((UUID) row[0], (String) row[1]);
        }
        return names;
    }

    private static InstanceView toView(Instance instance, Map<UUID, String> tenants, Map<UUID, String> hosts) {
        String host = instance.hostId == null ? null : hosts.get(instance.hostId);
        return new InstanceView(instance.id, instance.name, tenants.get(instance.tenantId), instance.kind,
                instance.instanceType, instance.image, instance.imageVersion, instance.vcpus, instance.memoryMiB,
                instance.diskGiB, instance.desiredState, instance.actualState, instance.stateDetail,
                instance.restartPolicy, instance.restarts, host,
                instance.address == null ? null : instance.address, instance.createdAt, instance.updatedAt);
    }
}
