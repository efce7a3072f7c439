package io.multiplicity.instance;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.Items;
import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/instance-types")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "instance types")
public class InstanceTypeResource {

    @Schema(requiredProperties = {"name", "kind", "vcpus", "memoryMiB", "diskGiB"})
    public record InstanceTypeView(String name, @Schema(enumeration = {"jail", "vm"}) String kind, int vcpus, int memoryMiB, int diskGiB, String description) {
    }

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listInstanceTypes",
            summary = "List instance types", description = "Optionally only those of one kind.")
    public Items<InstanceTypeView> list(@QueryParam("kind") String kind) {
        if (kind != null && !kind.equals("jail") && !kind.equals("vm")) {
            throw ApiException.badRequest("validation_failed", "kind must be jail or vm", Map.of("field", "kind"));
        }
        List<InstanceType> types = kind == null
                ? InstanceType.list("order by kind, vcpus, memoryMiB")
                : InstanceType.list("kind = ?1 order by vcpus, memoryMiB", kind);
        return new Items<>(types.stream()
                .map(type -> new InstanceTypeView(type.name, type.kind, type.vcpus, type.memoryMiB, type.diskGiB,
                        type.description))
                .toList());
    }
}
