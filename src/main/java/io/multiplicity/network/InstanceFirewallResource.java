package io.multiplicity.network;

import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
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

/** Which firewall filters what reaches an instance from outside. */
@Path("/api/v1/instances/{id}/firewall")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "networking")
public class InstanceFirewallResource {

    /** @param firewall a firewall of the instance's tenant, or null for none */
    public record ApplyFirewallRequest(UUID firewall) {
    }

    @Inject
    FirewallService service;

    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "applyInstanceFirewall", summary = "Apply a firewall to an instance",
            description = "With a firewall, what is published for the instance (public address, forwards) is"
                    + " reached only where a rule allows; with none (null), it is open.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response apply(@PathParam("id") UUID id, @NotNull ApplyFirewallRequest request) {
        return Accepted.of(service.apply(id, request.firewall()));
    }
}
