package io.multiplicity.audit;

import io.multiplicity.common.Page;
import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "audit")
public class AuditResource {

    @Schema(requiredProperties = {"id", "action", "outcome", "at"})
    public record AuditView(UUID id, UUID tenant, String actor, String action, String targetType, UUID target,
                            String outcome, String clientAddress, Map<String, Object> details, Instant at) {
    }

    @Inject
    AuditService service;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN})
    @Operation(operationId = "listAuditEntries", summary = "Read the audit log",
            description = "Tenant admins see their tenant's entries; platform admins all, or one tenant's with ?tenant=.")
    public Page<AuditView> list(@QueryParam("tenant") UUID tenant, @QueryParam("action") String action,
                                @QueryParam("limit") Integer limit, @QueryParam("cursor") String cursor) {
        Page<AuditEntry> page = service.list(tenant, action, limit, cursor);
        return new Page<>(page.items().stream()
                .map(entry -> new AuditView(entry.id, entry.tenantId, entry.actorName, entry.action, entry.targetType,
                        entry.targetId, entry.outcome, entry.clientAddress, entry.details, entry.createdAt))
                .toList(), page.next());
    }
}
