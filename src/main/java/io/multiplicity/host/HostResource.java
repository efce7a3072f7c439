package io.multiplicity.host;

import io.multiplicity.common.Items;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/admin/hosts")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
@Tag(name = "admin")
public class HostResource {

    /** Physical, allocatable (physical × ratio − reserve) and allocated amounts of one resource. */
    @Schema(requiredProperties = {"physical", "ratio", "reserved", "allocatable", "allocated"})
    public record Capacity(long physical, BigDecimal ratio, long reserved, long allocatable, long allocated) {
    }

    @Schema(requiredProperties = {"id", "name", "state", "cordoned", "local", "kinds", "vcpus", "memoryMiB",
            "storageGiB", "createdAt"})
    public record HostView(UUID id, String name, String state, boolean cordoned, boolean local, Set<String> kinds,
                           Capacity vcpus,
                           Capacity memoryMiB, Capacity storageGiB, Map<String, Object> facts, Instant lastSeen,
                           Instant createdAt) {

        static HostView of(HostService.HostSummary summary) {
            Host host = summary.host();
            Placement.Allocated allocated = summary.allocated();
            return new HostView(host.id, host.name, host.state, host.cordoned, host.local, host.kindSet(),
                    new Capacity(host.cpus, host.cpuRatio, host.reservedCpus, host.allocatableVcpus(), allocated.vcpus()),
                    new Capacity(host.memoryMiB, host.memoryRatio, host.reservedMemoryMiB, host.allocatableMemoryMiB(),
                            allocated.memoryMiB()),
                    new Capacity(host.storageGiB, host.diskRatio, host.reservedStorageGiB, host.allocatableStorageGiB(),
                            allocated.diskGiB()),
                    host.facts, host.lastSeen, host.createdAt);
        }
    }

    public record UpdateHostRequest(
            @Pattern(regexp = "ready|draining|offline", message = "must be ready, draining or offline") String state,
            @DecimalMin("0.1") @DecimalMax("64") BigDecimal cpuRatio,
            @DecimalMin("0.1") @DecimalMax("64") BigDecimal memoryRatio,
            @DecimalMin("0.1") @DecimalMax("64") BigDecimal diskRatio,
            @Min(0) @Max(100_000) Integer reservedCpus,
            @Min(0) @Max(1L << 32) Long reservedMemoryMiB,
            @Min(0) @Max(1L << 30) Long reservedStorageGiB) {
    }

    @Inject
    HostService service;

    @Inject
    Quarantine quarantine;

    @GET
    @Operation(operationId = "listHosts", summary = "List hosts with their capacity, overcommit ratios and allocation")
    public Items<HostView> list() {
        return new Items<>(service.list().stream().map(HostView::of).toList());
    }

    @GET
    @Path("/{id}")
    @Operation(operationId = "getHost", summary = "Get one host")
    public HostView get(@PathParam("id") UUID id) {
        return HostView.of(service.get(id));
    }

    @GET
    @Path("/{id}/quarantine")
    @Operation(operationId = "getHostQuarantine",
            summary = "Instances the host has that the database has never heard of",
            description = "The reconciler never destroys them; their data stays where it is until an operator decides.")
    public Items<Quarantine.QuarantinedInstance> quarantine(@PathParam("id") UUID id) {
        service.get(id);
        return new Items<>(quarantine.of(id));
    }

    @POST
    @Path("/{id}/cordon")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    @Operation(operationId = "cordonHost", summary = "Cordon a host: it keeps its instances and takes no new one",
            description = "Audited. 409 host_cordoned when it is cordoned already.")
    public Response cordon(@PathParam("id") UUID id) {
        return Accepted.of(service.cordon(id, true));
    }

    @POST
    @Path("/{id}/uncordon")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    @Operation(operationId = "uncordonHost", summary = "Let a cordoned host take new instances again",
            description = "Audited. 409 host_not_cordoned when it is not cordoned.")
    public Response uncordon(@PathParam("id") UUID id) {
        return Accepted.of(service.cordon(id, false));
    }

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "updateHost", summary = "Change a host's state, overcommit ratios or reserve")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response update(@PathParam("id") UUID id, @Valid @NotNull UpdateHostRequest request) {
        return Accepted.of(service.update(id, request));
    }
}
