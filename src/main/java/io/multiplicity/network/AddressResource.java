package io.multiplicity.network;

import io.multiplicity.common.Items;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Public addresses given whole to a tenant's instances (1:1 NAT, "floating IPs"). */
@Path("/api/v1/addresses")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "networking")
public class AddressResource {

    /** @param instance the instance that gets a public address of its host */
    public record AssignAddressRequest(@NotNull UUID instance) {
    }

    @Inject
    PublicAccessService service;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listAddresses", summary = "List the public addresses given to the tenant's instances")
    public Items<PublicAccessService.AddressView> list() {
        return new Items<>(service.addresses());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getAddress", summary = "Get one public address")
    public PublicAccessService.AddressView get(@PathParam("id") UUID id) {
        return service.address(id);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "assignAddress", summary = "Give an instance a public address",
            description = "A free address of the instance's host, whole: every port reaches the instance (filtered by"
                    + " its firewall) and its outgoing traffic leaves from it. Counts one against the addresses quota"
                    + " and is billed per hour. The operation's target is the address.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response assign(@Valid @NotNull AssignAddressRequest request) {
        return Accepted.of(service.assign(request.instance()));
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "releaseAddress",
            summary = "Release a public address", description = "It stops reaching the instance at once.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response release(@PathParam("id") UUID id) {
        return Accepted.of(service.release(id));
    }
}
