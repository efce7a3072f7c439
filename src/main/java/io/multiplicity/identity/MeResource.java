package io.multiplicity.identity;

import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/me")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "identity")
public class MeResource {

    /**
     * The signed-in user as the platform sees them: their tenant and their platform roles; {@code demo}
     * when this is a demo installation (known passwords: never for real use).
     */
    @Schema(requiredProperties = {"username", "roles"})
    public record Me(String username, String tenant, UUID tenantId, List<String> roles, boolean demo) {
    }

    private static final List<String> PLATFORM_ROLES = List.of(Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN,
            Roles.TENANT_MEMBER, Roles.TENANT_VIEWER);

    @Inject
    Caller caller;

    @Inject
    IdentityConfig config;

    @GET
    @Authenticated
    @Operation(operationId = "getMe", summary = "Who am I: user name, tenant and roles")
    public Me me() {
        Caller.Principal principal = caller.get();
        return new Me(principal.username(), principal.tenantSlug(), principal.tenantId(),
                PLATFORM_ROLES.stream().filter(principal.roles()::contains).toList(), config.demo());
    }
}
