package io.multiplicity.tenant;

import java.util.UUID;

/** A platform admin switched a tenant's egress; fired in the transaction of the change. */
public record TenantEgressChanged(UUID tenantId, boolean egress) {
}
