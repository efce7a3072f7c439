package io.multiplicity.accounting;

import io.multiplicity.common.ApiException;
import io.multiplicity.identity.Caller;
import io.multiplicity.identity.Roles;
import io.multiplicity.tenant.Tenant;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.math.BigDecimal;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/prices")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "billing")
public class PriceResource {

    /** The unit prices of the caller's plan, for previews of what an instance costs. */
    @Schema(requiredProperties = {"currency"})
    public record Prices(String plan, String currency, BigDecimal vcpuHour, BigDecimal memoryGiBHour,
                         BigDecimal diskGiBMonth, BigDecimal snapshotGiBMonth, BigDecimal addressHour,
                         BigDecimal egressGiB) {
    }

    @Inject
    Caller caller;

    @GET
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getPrices", summary = "The unit prices of the tenant's plan")
    public Prices prices() {
        Tenant tenant = Tenant.findById(caller.requireTenant());
        Plan plan = tenant.planId == null ? null : Plan.findById(tenant.planId);
        if (plan == null) {
            throw ApiException.notFound("price plan of tenant", tenant.slug);
        }
        return new Prices(plan.name, plan.currency, plan.vcpuHour, plan.memoryGibHour, plan.diskGibMonth,
                plan.snapshotGibMonth, plan.addressHour, plan.egressGib);
    }
}
