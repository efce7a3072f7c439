package io.multiplicity.operation;

import io.multiplicity.common.Page;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/operations")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "operations")
public class OperationResource {

    @Inject
    OperationService service;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listOperations",
            summary = "List operations, newest first", description = "Filter by target id and state.")
    public Page<OperationView> list(@QueryParam("target") UUID target, @QueryParam("state") String state,
                                    @QueryParam("limit") Integer limit, @QueryParam("cursor") String cursor) {
        Page<io.multiplicity.operation.Operation> page = service.list(target, state, limit, cursor);
        return new Page<>(page.items().stream().map(OperationView::of).toList(), page.next());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getOperation", summary = "Get one operation")
    public OperationView get(@PathParam("id") UUID id) {
        return OperationView.of(service.get(id));
    }

    @POST
    @Path("/{id}/cancel")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "cancelOperation", summary = "Cancel an operation",
            description = "A pending operation ends cancelled at once; a running one at its next safe point.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response cancel(@PathParam("id") UUID id) {
        return Response.accepted(OperationView.of(service.cancel(id)))
                .location(java.net.URI.create("/api/v1/operations/" + id))
                .build();
    }
}
