package io.multiplicity.network;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Address plan of the tenant networks on each host. */
@ConfigMapping(prefix = "multiplicity.network")
public interface NetworkConfig {

    /** IPv4 range the tenant subnets of one host are cut from. */
    @WithDefault("10.90.0.0/16")
    String pool();

    /** Prefix length of one tenant's subnet on a host. */
    @WithDefault("24")
    int subnetPrefix();

    /** First VLAN id given to a tenant network on the host bridge. */
    @WithDefault("100")
    int firstVlan();
}
