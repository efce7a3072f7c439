package io.multiplicity.instance;

import io.multiplicity.common.Page;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/instances")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "instances")
public class InstanceResource {


    @Inject
    InstanceService service;

    @Inject
    InstanceMapper mapper;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(summary = "List the tenant's instances", description = "Platform admins see every tenant's.")
    public Page<InstanceView> list(@QueryParam("kind") String kind, @QueryParam("limit") Integer limit,
                                   @QueryParam("cursor") String cursor) {
        Page<Instance> page = service.list(kind, limit, cursor);
        return new Page<>(mapper.toViews(page.items()), page.next());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(summary = "Get one instance")
    public InstanceView get(@PathParam("id") UUID id) {
        return mapper.toView(service.get(id));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Create an instance", description = "Answers 202 with the instance.create operation.")
    public Response create(@Valid @NotNull CreateInstanceRequest request) {
        return Accepted.of(service.create(request));
    }

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Resize an instance",
            description = "vCPUs, memory and disk (disks only grow); a running jail gets them live, a VM at its next start.")
    public Response resize(@PathParam("id") UUID id, @Valid @NotNull ResizeInstanceRequest request) {
        return Accepted.of(service.resize(id, request));
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Delete an instance", description = "Stops it and removes everything it had on its host.")
    public Response delete(@PathParam("id") UUID id) {
        return Accepted.of(service.delete(id));
    }

    /** @param name the snapshot's name, a DNS label */
    public record SnapshotRequest(@jakarta.validation.constraints.NotBlank @jakarta.validation.constraints.Size(max = 63)
                                  @jakarta.validation.constraints.Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                                          message = "must be a DNS label") String name) {
    }

    /** @param schedule the schedule that took it ({@code hourly}, {@code daily}, {@code weekly}), absent when a person did */
    public record SnapshotView(String name, java.time.Instant createdAt, String schedule) {
    }

    @GET
    @Path("/{id}/snapshots")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(summary = "List an instance's snapshots")
    public java.util.Map<String, java.util.List<SnapshotView>> snapshots(@PathParam("id") UUID id) {
        return java.util.Map.of("items", service.snapshots(id).stream()
                .map(snapshot -> new SnapshotView(snapshot.name, snapshot.createdAt, snapshot.schedule)).toList());
    }

    @POST
    @Path("/{id}/snapshot")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Take a snapshot of the instance's storage", description = "Counts against the snapshots quota.")
    public Response snapshot(@PathParam("id") UUID id, @Valid @NotNull SnapshotRequest request) {
        return Accepted.of(service.snapshot(id, request.name()));
    }

    @DELETE
    @Path("/{id}/snapshots/{name}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Delete a snapshot", description = "It counts against the snapshots quota until it is destroyed.")
    public Response deleteSnapshot(@PathParam("id") UUID id, @PathParam("name") String name) {
        return Accepted.of(service.deleteSnapshot(id, name));
    }

    @POST
    @Path("/{id}/rollback")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Roll the instance's storage back to a snapshot", description = "Later snapshots are destroyed.")
    public Response rollback(@PathParam("id") UUID id, @Valid @NotNull SnapshotRequest request) {
        return Accepted.of(service.rollback(id, request.name()));
    }

    @POST
    @Path("/{id}/start")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Start an instance")
    public Response start(@PathParam("id") UUID id) {
        return Accepted.of(service.act(id, "start"));
    }

    @POST
    @Path("/{id}/stop")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Stop an instance", description = "Asks it to stop, and forces it after 30 seconds.")
    public Response stop(@PathParam("id") UUID id) {
        return Accepted.of(service.act(id, "stop"));
    }

    @POST
    @Path("/{id}/restart")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(summary = "Restart an instance")
    public Response restart(@PathParam("id") UUID id) {
        return Accepted.of(service.act(id, "restart"));
    }
}
