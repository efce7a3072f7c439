package io.multiplicity.host.contract;

import java.util.UUID;

/**
 * Everything a host needs to provision and run one instance. Built by the control plane from the
 * database; the host keeps no other source of truth.
 *
 * @param id          instance id
 * @param tenantId    owning tenant; instances of different tenants are isolated on the network
 * @param name        instance name, also the hostname inside the instance (a DNS label)
 * @param kind        "jail" or "vm"
 * @param image       image reference the host understands (for now an image name such as "busybox")
 * @param vcpus       virtual CPUs (jails: CPU quota in whole CPUs)
 * @param memoryMiB   memory limit
 * @param diskGiB     disk size (dataset quota)
 * @param network     the instance's address on its tenant network, or null for none
 * @param metadata    what its metadata service answers about it (SSH keys, user-data)
 */
public record InstanceSpec(
        UUID id,
        UUID tenantId,
        String name,
        String kind,
        String image,
        int vcpus,
        int memoryMiB,
        int diskGiB,
        NetworkAttachment network,
        InstanceMetadata metadata) {

    public InstanceSpec {
        metadata = metadata == null ? InstanceMetadata.none() : metadata;
    }

    /** A spec with no SSH keys and no user-data. */
    public InstanceSpec(UUID id, UUID tenantId, String name, String kind, String image, int vcpus, int memoryMiB,
            int diskGiB, NetworkAttachment network) {
        this(id, tenantId, name, kind, image, vcpus, memoryMiB, diskGiB, network, InstanceMetadata.none());
    }

    /**
     * @param tenantNetwork small integer identifying the tenant's isolated network on the host
     *                      (a VLAN id on the host bridge, 2..4094)
     * @param address       IPv4 address of the instance
     * @param prefixLength  prefix length of the tenant subnet
     * @param gateway       gateway address (the host's address on the tenant network), also the
     *                      network's resolver and DHCP server
     * @param domain        the tenant's DNS domain on its network ({@code <tenant>.internal}): the
     *                      instance answers as {@code <name>.<domain>} to its own tenant only; null
     *                      for none
     * @param egress        the network may reach the outside through the host's uplink (source NAT)
     */
    public record NetworkAttachment(int tenantNetwork, String address, int prefixLength, String gateway, String domain,
            boolean egress) {

        /** An attachment with no domain and no egress. */
        public NetworkAttachment(int tenantNetwork, String address, int prefixLength, String gateway) {
            this(tenantNetwork, address, prefixLength, gateway, null, false);
        }
    }
}
