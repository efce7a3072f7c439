package io.multiplicity.host.remote;

import io.multiplicity.identity.Caller;
import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** One-time tokens that enrol host agents, for platform admins. */
@Path("/api/v1/admin/hosts/enrolment-tokens")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
@Tag(name = "admin")
public class EnrolmentTokenResource {

    /** What an admin asks for: with {@code hostId}, a token that re-enrols (rotates the credentials of) that host. */
    public record TokenRequest(UUID hostId) {
    }

    @Inject
    EnrolmentService service;

    @Inject
    Caller caller;

    @POST
    @Operation(operationId = "createEnrolmentToken", summary = "Create a one-time token that enrols a host agent",
            description = "The token is shown once; it enrols one agent (or, with hostId, re-enrols that host with new"
                    + " credentials) and expires after multiplicity.hosts.enrolment-token-lifetime.")
    @APIResponse(responseCode = "201", description = "The one-time token, shown once",
            content = @Content(schema = @Schema(implementation = EnrolmentService.CreatedToken.class)))
    public Response createToken(TokenRequest request) {
        return Response.status(201)
                .entity(service.createToken(caller.get().username(), request == null ? null : request.hostId()))
                .build();
    }

}
