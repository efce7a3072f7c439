package io.multiplicity.host.remote;

import io.multiplicity.host.contract.AgentProtocol.EnrolmentAnswer;
import io.multiplicity.host.contract.AgentProtocol.EnrolmentRequest;
import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The enrolment of a host agent, called by the agent with a one-time token. */
@Path("/api/v1/host-enrolments")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "admin")
public class EnrolmentResource {

    @Inject
    EnrolmentService service;

    @POST
    @PermitAll
    @Operation(operationId = "enrolHost", summary = "Enrol a host agent (called by the agent, with a one-time token)",
            description = "Answers the host's identity, a certificate for the agent's key signed by the control plane's"
                    + " agent authority, and the authority's certificate. A missing, unknown, used or expired token is"
                    + " refused with 401 and changes nothing.")
    @APIResponse(responseCode = "201", description = "The host's identity and credentials",
            content = @Content(schema = @Schema(implementation = EnrolmentAnswer.class)))
    public Response enrol(EnrolmentRequest request) {
        EnrolmentAnswer answer = service.enrol(request);
        return Response.status(201).entity(answer).build();
    }
}
