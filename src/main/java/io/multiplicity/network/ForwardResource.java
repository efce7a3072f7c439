package io.multiplicity.network;

import io.multiplicity.common.Items;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
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

/** Ports of the hosts' shared public addresses forwarded to a tenant's instances. */
@Path("/api/v1/forwards")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "networking")
public class ForwardResource {

    /**
     * @param instance   the instance the port reaches
     * @param protocol   tcp (default) or udp
     * @param port       the public port
     * @param targetPort the instance's port (default: the public port)
     * @param address    a shared public address of the instance's host (default: the first where the port is free)
     */
    public record CreateForwardRequest(
            @NotNull UUID instance,
            @Pattern(regexp = "tcp|udp", message = "must be tcp or udp") String protocol,
            @NotNull @Min(1) @Max(65535) Integer port,
            @Min(1) @Max(65535) Integer targetPort,
            @Pattern(regexp = "\\d{1,3}(\\.\\d{1,3}){3}", message = "must be an IPv4 address") String address) {
    }

    @Inject
    PublicAccessService service;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listForwards", summary = "List the tenant's port forwards")
    public Items<PublicAccessService.ForwardView> list() {
        return new Items<>(service.forwards());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getForward", summary = "Get one port forward")
    public PublicAccessService.ForwardView get(@PathParam("id") UUID id) {
        return service.forward(id);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "createForward", summary = "Forward a public port to an instance",
            description = "Counts one against the addresses quota and is billed per hour; filtered by the instance's"
                    + " firewall. 409 when the port is taken. The operation's target is the forward.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response create(@Valid @NotNull CreateForwardRequest request) {
        return Accepted.of(service.forward(request.instance(),
                request.protocol() == null ? "tcp" : request.protocol(), request.port(),
                request.targetPort() == null ? request.port() : request.targetPort(), request.address()));
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "deleteForward",
            summary = "Remove a port forward", description = "The port stops reaching the instance at once.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response delete(@PathParam("id") UUID id) {
        return Accepted.of(service.deleteForward(id));
    }
}
