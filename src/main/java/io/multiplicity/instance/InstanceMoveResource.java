package io.multiplicity.instance;

import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import io.multiplicity.common.openapi.ApiContract;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Moving an instance to another host: platform admins only. A resource of its own, on its full path,
 * so that it is found beside the instances' resource.
 */
@Path("/api/v1/instances/{id}/move")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
@Tag(name = "admin")
public class InstanceMoveResource {

    @Inject
    InstanceMoves moves;

    @POST
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    @Operation(operationId = "moveInstance", summary = "Move a stopped instance (jail or VM) to another host",
            description = "Its dataset and snapshots go by zfs send | receive; ?to= names the host (else placement"
                    + " chooses); ?running=stop-move-start moves a running one too. 409 instance_not_movable with the"
                    + " reason when it cannot move now.")
    public Response move(@PathParam("id") UUID id, @QueryParam("to") UUID to, @QueryParam("running") String running) {
        return Accepted.of(moves.move(id, to, InstanceMoves.RunningInstances.of(running)));
    }
}
