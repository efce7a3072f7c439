package io.multiplicity.accounting;

import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A host's allocation and use over time (a root of its own: the hosts resource owns the rest of the path). */
@Path("/api/v1/admin/hosts/{id}/history")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "admin")
public class HostHistoryResource {

    @Inject
    CapacityHistory history;

    @GET
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(operationId = "getHostHistory",
            summary = "A host's allocation against its allocatable capacity and its measured use over time")
    public CapacityHistory.Series hostHistory(@PathParam("id") UUID id, @QueryParam("from") String from,
                                              @QueryParam("to") String to) {
        return history.ofHost(id, from, to);
    }
}
