package io.multiplicity.identity;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How users and tenants are read from the identity provider's tokens. */
@ConfigMapping(prefix = "multiplicity.identity")
public interface IdentityConfig {

    /**
     * The token claim naming the user's tenant: a string, or an array of group names (a Keycloak
     * group membership mapper); leading path segments such as {@code /tenants/} are ignored.
     */
    @WithDefault("tenants")
    String tenantClaim();

    /** Register a tenant the first time one of its users signs in, instead of refusing the user. */
    @WithDefault("true")
    boolean autoRegisterTenants();

    /** Header that picks one tenant when a user belongs to several. */
    @WithDefault("X-Tenant")
    String tenantHeader();

    /**
     * The identity provider is the demo realm ({@code make run}): users whose password is their
     * name, a platform admin among them, and the repository's client secret. The panel says so in
     * its log at every start and in a banner on every page of the portal.
     */
    @WithDefault("false")
    boolean demo();
}
