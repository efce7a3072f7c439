package io.multiplicity.network;

import io.multiplicity.common.Items;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
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

/** The public addresses of a host's pool. */
@Path("/api/v1/admin/hosts/{hostId}/addresses")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
@Tag(name = "admin")
public class AddressPoolResource {

    /**
     * @param addresses IPv4 addresses, or networks in CIDR notation (/24 to /32), routed to the host's uplink
     * @param shared    true: they carry port forwards of any tenant; false (default): each is given whole to
     *                  one instance
     */
    public record AddAddressesRequest(@NotNull @Size(min = 1, max = 256) List<@NotNull String> addresses,
            Boolean shared) {
    }

    @Inject
    AddressPool pool;

    @GET
    @Operation(operationId = "listHostAddresses", summary = "List a host's public addresses and who holds them")
    public Items<AddressPool.PoolAddress> list(@PathParam("hostId") UUID hostId) {
        return new Items<>(pool.list(hostId));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "addHostAddresses", summary = "Add public addresses to a host's pool")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response add(@PathParam("hostId") UUID hostId, @Valid @NotNull AddAddressesRequest request) {
        return Accepted.of(pool.add(hostId, request.addresses(), Boolean.TRUE.equals(request.shared())));
    }

    @DELETE
    @Path("/{address}")
    @Operation(operationId = "removeHostAddress",
            summary = "Remove a public address from a host's pool", description = "409 while it is in use.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response remove(@PathParam("hostId") UUID hostId, @PathParam("address") String address) {
        return Accepted.of(pool.remove(hostId, address));
    }
}
