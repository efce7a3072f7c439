package io.multiplicity.network;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * IP address management in the database: one subnet and VLAN per tenant and host, one address per
 * live instance. Allocation locks the tenant's network row, so concurrent creates never share an
 * address; a partial unique index backs that up.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class Ipam {

    @Inject
    EntityManager em;

    @Inject
    NetworkConfig config;

    /**
     * The tenant's network on the host, created on first use. Creating one takes the host's admission
     * lock (its {@code host_allocations} row; placement holds it already on a create), so two
     * networks created at once on one host never pick the same VLAN.
     */
    public TenantNetwork network(UUID tenantId, UUID hostId) {
        TenantNetwork network = find(tenantId, hostId);
        if (network != null) {
            return network;
        }
        em.createNativeQuery("select host_id from host_allocations where host_id = :host for no key update")
                .setParameter("host", hostId)
                .getResultList();
        network = find(tenantId, hostId);
        if (network != null) {
            return network;
        }
        List<Integer> used = em.createQuery("select n.vlan from TenantNetwork n where n.hostId = :host", Integer.class)
                .setParameter("host", hostId)
                .getResultList();
        int pool = Ipv4.parse(config.pool().substring(0, config.pool().indexOf('/')));
        int poolPrefix = Integer.parseInt(config.pool().substring(config.pool().indexOf('/') + 1));
        int subnets = 1 << (config.subnetPrefix() - poolPrefix);
        Set<Integer> taken = new HashSet<>(used);
        for (int index = 0; index < subnets && config.firstVlan() + index <= 4094; index++) {
            int vlan = config.firstVlan() + index;
            if (taken.contains(vlan)) {
                continue;
            }
            int subnet = pool + (index << (32 - config.subnetPrefix()));
            network = new TenantNetwork();
            network.id = UUID.randomUUID();
            network.tenantId = tenantId;
            network.hostId = hostId;
            network.vlan = vlan;
            network.subnet = Ipv4.format(subnet) + "/" + config.subnetPrefix();
            network.gateway = Ipv4.format(subnet + 1);
            network.createdAt = Clock.now();
            em.persist(network);
            em.flush();
            return em.find(TenantNetwork.class, network.id, LockModeType.PESSIMISTIC_WRITE);
        }
        throw ApiException.conflict("no_network_left", "the host has no tenant network left in " + config.pool(), null);
    }

    private TenantNetwork find(UUID tenantId, UUID hostId) {
        return em.createQuery("from TenantNetwork n where n.tenantId = :tenant and n.hostId = :host",
                        TenantNetwork.class)
                .setParameter("tenant", tenantId)
                .setParameter("host", hostId)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE)
                .getResultStream().findFirst().orElse(null);
    }

    /** The lowest free address of the network (the gateway takes the first). */
    public String allocate(TenantNetwork network) {
        List<String> used = em.createQuery("select i.address from Instance i where i.networkId = :network"
                        + " and i.deletedAt is null and i.address is not null", String.class)
                .setParameter("network", network.id)
                .getResultList();
        Set<Integer> taken = new HashSet<>();
        used.forEach(address -> taken.add(Ipv4.parse(address)));
        int prefix = Integer.parseInt(network.subnet.substring(network.subnet.indexOf('/') + 1));
        int base = Ipv4.parse(network.subnet.substring(0, network.subnet.indexOf('/')));
        int size = 1 << (32 - prefix);
        for (int offset = 2; offset < size - 1; offset++) {
            if (!taken.contains(base + offset)) {
                return Ipv4.format(base + offset);
            }
        }
        throw ApiException.conflict("no_address_left", "the tenant network " + network.subnet + " is full",
                Map.of("subnet", network.subnet));
    }

    /** Prefix length of a network's subnet. */
    public static int prefixLength(TenantNetwork network) {
        return Integer.parseInt(network.subnet.substring(network.subnet.indexOf('/') + 1));
    }
}
