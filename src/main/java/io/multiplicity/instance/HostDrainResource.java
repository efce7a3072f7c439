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
 * Draining a host: platform admins only. A resource of its own, on its full path, so that it is
 * found beside the hosts' resource (which lives in the host package and knows nothing of instances).
 */
@Path("/api/v1/admin/hosts/{id}/drain")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
@Tag(name = "admin")
public class HostDrainResource {

    @Inject
    InstanceMoves moves;

    @POST
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    @Operation(operationId = "drainHost", summary = "Drain a host: cordon it and move its instances away",
            description = "Stopped instances (jails and VMs) move; running ones only with ?running=stop-move-start. The answer's"
                    + " operation lists each move's operation and what stays, with the reason.")
    public Response drain(@PathParam("id") UUID id, @QueryParam("running") String running) {
        return Accepted.of(moves.drain(id, InstanceMoves.RunningInstances.of(running)));
    }
}
