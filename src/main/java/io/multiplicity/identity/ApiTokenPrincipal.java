package io.multiplicity.identity;

import java.security.Principal;
import java.util.UUID;

/**
 * The principal of a request authenticated with an API token the panel issued: the token's user
 * mirror, its tenant (null for a platform token) and its name. {@link Caller} takes the tenant from
 * here instead of from a token claim.
 *
 * @param tokenId    the token's id
 * @param tokenName  the name its creator gave it
 * @param userId     the user mirror the token acts as
 * @param tenantId   its tenant; null for a platform token
 * @param tenantSlug that tenant's name
 */
public record ApiTokenPrincipal(UUID tokenId, String tokenName, UUID userId, UUID tenantId, String tenantSlug)
        implements Principal {

    /** How the token appears as an actor (audit log, operations): {@code token:<name>}. */
    public static String actorName(String tokenName) {
        return "token:" + tokenName;
    }

    @Override
    public String getName() {
        return actorName(tokenName);
    }
}
