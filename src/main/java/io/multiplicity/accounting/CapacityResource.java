package io.multiplicity.accounting;

import io.multiplicity.common.Items;
import io.multiplicity.identity.Caller;
import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A tenant's allocation and use over time, and the overcommit of the hosts it runs on. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class CapacityResource {

    @Inject
    CapacityHistory history;

    @Inject
    Caller caller;

    @GET
    @Path("/quota/history")
    @Tag(name = "quotas")
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getQuotaHistory",
            summary = "The tenant's allocation against its limits and its measured use over time (default: the last day)")
    public CapacityHistory.Series quotaHistory(@QueryParam("from") String from, @QueryParam("to") String to) {
        return history.ofTenant(caller.requireTenant(), from, to);
    }

    @GET
    @Path("/quota/hosts")
    @Tag(name = "quotas")
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listQuotaHosts",
            summary = "The hosts the tenant's instances run on (by pseudonym) and the overcommit each runs at")
    public Items<CapacityHistory.HostCommitment> hosts() {
        return new Items<>(history.hostsOf(caller.requireTenant()));
    }
}
