package io.multiplicity.network;

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
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A tenant's firewalls: named sets of inbound rules applied to its instances. */
@Path("/api/v1/firewalls")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "networking")
public class FirewallResource {

    /**
     * @param name        a DNS label, unique in the tenant
     * @param description what it is for
     * @param rules       what may come in from outside; none: nothing
     * @param inside      {@code open} (the default): the instance's own tenant network reaches it
     *                    whatever the rules say; {@code filtered}: new connections from there pass
     *                    only where a rule allows, as from outside
     */
    public record FirewallRequest(
            @Size(max = 63) @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                    message = "must be a DNS label: lower-case letters, digits and '-'") String name,
            @Size(max = 255) String description,
            @Size(max = FirewallService.MAX_RULES) List<@Valid FirewallRule> rules,
            @Pattern(regexp = "open|filtered", message = "must be open or filtered")
            @Schema(enumeration = {"open", "filtered"}) String inside) {
    }

    @Inject
    FirewallService service;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listFirewalls", summary = "List the tenant's firewalls")
    public Items<FirewallService.FirewallView> list() {
        return new Items<>(service.list());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getFirewall", summary = "Get one firewall")
    public FirewallService.FirewallView get(@PathParam("id") UUID id) {
        return service.get(id);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "createFirewall", summary = "Create a firewall")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response create(@Valid @NotNull FirewallRequest request) {
        if (request.name() == null || request.name().isBlank()) {
            throw io.multiplicity.common.ApiException.badRequest("invalid_name", "a firewall needs a name",
                    Map.of("field", "name"));
        }
        return Accepted.of(service.create(request.name(), request.description(), request.rules(), request.inside()));
    }

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "updateFirewall",
            summary = "Change a firewall", description = "Given rules replace all of its rules; a given inside"
            + " says whether they also filter the tenant network; its instances follow at once.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response update(@PathParam("id") UUID id, @Valid @NotNull FirewallRequest request) {
        return Accepted.of(service.update(id, request.name(), request.description(), request.rules(), request.inside()));
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "deleteFirewall", summary = "Delete a firewall no instance uses")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response delete(@PathParam("id") UUID id) {
        return Accepted.of(service.delete(id));
    }
}
