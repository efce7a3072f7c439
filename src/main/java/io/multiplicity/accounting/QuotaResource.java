package io.multiplicity.accounting;

import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "quotas")
public class QuotaResource {

    /** A tenant's own limits; a null (absent) field inherits the plan's. */
    public record SetQuotaRequest(
            @Min(0) @Max(1_000_000) Integer instances,
            @Min(0) @Max(1_000_000) Integer vcpus,
            @Min(0) @Max(1L << 40) Long memoryMiB,
            @Min(0) @Max(1L << 40) Long diskGiB,
            @Min(0) @Max(1_000_000) Integer snapshots,
            @Min(0) @Max(1L << 40) Long snapshotGiB,
            @Min(0) @Max(1_000_000) Integer privateImages,
            @Min(0) @Max(1L << 40) Long imageMiB,
            @Min(0) @Max(1_000_000) Integer addresses,
            @Min(0) @Max(1_000_000) Integer consoleSessions,
            Boolean runningOnly,
            @Size(max = 63) String plan) {
    }

    @Inject
    QuotaService service;

    @GET
    @Path("/quota")
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getQuota", summary = "The tenant's quota: limit, allocated and used per resource")
    public QuotaView mine() {
        return service.mine();
    }

    @GET
    @Path("/admin/quotas/{tenant}")
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(operationId = "getTenantQuota", summary = "A tenant's quota, exactly as the tenant sees it")
    public QuotaView get(@PathParam("tenant") UUID tenant) {
        return service.view(tenant);
    }

    @PUT
    @Path("/admin/quotas/{tenant}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(operationId = "setTenantQuota",
            summary = "Set a tenant's limits (absent fields inherit the plan's) and optionally its plan")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response set(@PathParam("tenant") UUID tenant, @Valid @NotNull SetQuotaRequest request) {
        return Accepted.of(service.set(tenant, request));
    }
}
