package io.multiplicity.instance;

import io.multiplicity.host.Host;
import io.multiplicity.tenant.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Maps instance entities to API records, resolving tenant and host names in bulk. */
@ApplicationScoped
public class InstanceMapper {

    public List<InstanceView> toViews(List<Instance> instances) {
        Map<UUID, String> tenants = new HashMap<>();
        Map<UUID, String> hosts = new HashMap<>();
        return instances.stream().map(instance -> toView(instance, tenants, hosts)).toList();
    }

    public InstanceView toView(Instance instance) {
        return toView(instance, new HashMap<>(), new HashMap<>());
    }

    private InstanceView toView(Instance instance, Map<UUID, String> tenants, Map<UUID, String> hosts) {
        String tenant = tenants.computeIfAbsent(instance.tenantId,
                id -> Tenant.<Tenant>findByIdOptional(id).map(found -> found.slug).orElse(null));
        String host = instance.hostId == null ? null : hosts.computeIfAbsent(instance.hostId,
                id -> Host.<Host>findByIdOptional(id).map(found -> found.name).orElse(null));
        return new InstanceView(instance.id, instance.name, tenant, instance.kind, instance.instanceType,
                instance.image, instance.imageVersion, instance.vcpus, instance.memoryMiB, instance.diskGiB,
                instance.desiredState, instance.actualState, instance.stateDetail, instance.restartPolicy,
                instance.restarts, host,
                instance.address == null ? null : instance.address, instance.createdAt, instance.updatedAt);
    }
}
