package io.multiplicity.console;

import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/instances/{id}/console")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "consoles")
public class ConsoleTicketResource {

    public record ConsoleRequest(
            @NotNull @Pattern(regexp = "serial|vnc", message = "must be serial or vnc") String type) {
    }

    @Inject
    ConsoleTickets tickets;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "createConsoleTicket", summary = "Get a console ticket",
            description = "A single-use ticket valid for 30 seconds, bound to you, the instance and the console type. "
                    + "Open the WebSocket at the returned url. Viewers get read-only tickets.")
    @APIResponse(responseCode = "201", description = "The ticket; open the WebSocket at its url within 30 seconds",
            content = @Content(schema = @Schema(implementation = ConsoleTickets.Issued.class)))
    @APIResponse(responseCode = "429", description = "Too many tickets asked for; retry after Retry-After seconds")
    public Response ticket(@PathParam("id") UUID id, @Valid @NotNull ConsoleRequest request) {
        return Response.status(201).entity(tickets.issue(id, request.type())).build();
    }

}
