package io.multiplicity.tenant;

import io.multiplicity.common.Items;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/admin/tenants")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
@Tag(name = "admin")
public class TenantResource {

    @Schema(requiredProperties = {"id", "slug", "instances", "users", "createdAt"})
    public record TenantView(UUID id, String slug, String displayName, long instances, long users, boolean egress,
            Instant createdAt) {

        static TenantView of(TenantService.TenantSummary summary) {
            Tenant tenant = summary.tenant();
            return new TenantView(tenant.id, tenant.slug, tenant.displayName, summary.instances(), summary.users(),
                    tenant.egress, tenant.createdAt);
        }
    }

    /**
     * @param egress the tenant's networks may reach the outside (source NAT through the hosts' uplinks)
     */
    public record UpdateTenantRequest(Boolean egress) {
    }

    /**
     * @param slug         the tenant's name, as the identity provider's tenant claim carries it
     * @param displayName  a human-friendly name
     */
    public record CreateTenantRequest(
            @NotBlank @Size(max = 63) @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                    message = "must be a DNS label: lower-case letters, digits and '-'") String slug,
            @Size(max = 200) String displayName) {
    }

    @Inject
    TenantService service;

    @GET
    @Operation(operationId = "listTenants", summary = "List tenants")
    public Items<TenantView> list() {
        return new Items<>(service.list().stream().map(TenantView::of).toList());
    }

    @GET
    @Path("/{id}")
    @Operation(operationId = "getTenant", summary = "Get one tenant")
    public TenantView get(@PathParam("id") UUID id) {
        return TenantView.of(service.get(id));
    }

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "updateTenant", summary = "Change a tenant's settings",
            description = "egress: whether its networks reach the outside; applies to its running instances at once.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response update(@PathParam("id") UUID id, @Valid @NotNull UpdateTenantRequest request) {
        return Accepted.of(service.update(id, request.egress()));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "createTenant",
            summary = "Register a tenant", description = "Tenants also register themselves at their first sign-in.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response create(@Valid @NotNull CreateTenantRequest request) {
        return Accepted.of(service.create(request.slug(), request.displayName()));
    }
}
