package io.multiplicity.instance;

import io.multiplicity.common.Items;
import io.multiplicity.common.Page;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.idempotency.IdempotentRequests;
import io.multiplicity.operation.OperationView;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
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
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/instances")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "instances")
public class InstanceResource {


    @Inject
    InstanceService service;

    @Inject
    InstanceMapper mapper;

    @Inject
    IdempotentRequests idempotent;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listInstances",
            summary = "List the tenant's instances", description = "Platform admins see every tenant's.")
    public Page<InstanceView> list(@QueryParam("kind") String kind, @QueryParam("limit") Integer limit,
                                   @QueryParam("cursor") String cursor) {
        Page<Instance> page = service.list(kind, limit, cursor);
        return new Page<>(mapper.toViews(page.items()), page.next());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getInstance", summary = "Get one instance",
            description = "Its ETag header names the version of its settings, for If-Match on PATCH.")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = InstanceView.class)),
            headers = @Header(name = "ETag", description = "The version of the instance's settings"))
    public Response get(@PathParam("id") UUID id) {
        Instance instance = service.get(id);
        return Response.ok(mapper.toView(instance)).tag(InstanceETags.of(instance)).build();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "createInstance", summary = "Create an instance",
            description = "Answers 202 with the instance.create operation. With an Idempotency-Key, a retry with the"
                    + " same key and body answers the first operation again and creates nothing.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    @APIResponse(responseCode = "422", description = "The Idempotency-Key was used for another body")
    public Response create(@Valid @NotNull CreateInstanceRequest request,
                           @HeaderParam(IdempotentRequests.HEADER) String idempotencyKey) {
        return idempotent.run(idempotencyKey, "POST /api/v1/instances", request,
                () -> Accepted.of(service.create(request)));
    }

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "updateInstance", summary = "Resize an instance or change its restart policy",
            description = "vCPUs, memory and disk (disks only grow); a running jail gets them live, a VM at its next"
                    + " start. With If-Match (an ETag of GET), a change made by someone else since answers 412 and"
                    + " changes nothing.")
    @APIResponse(responseCode = "202", description = "The instance.resize operation",
            content = @Content(schema = @Schema(implementation = OperationView.class)),
            headers = {@Header(name = ApiContract.LOCATION, description = "The operation's URL", required = true),
                    @Header(name = "ETag", description = "The instance's new settings version")})
    @APIResponse(responseCode = "412", description = "If-Match names an older version of the instance")
    public Response resize(@PathParam("id") UUID id, @Valid @NotNull ResizeInstanceRequest request,
                           @HeaderParam("If-Match") String ifMatch) {
        InstanceService.Changed changed = service.resize(id, request, ifMatch);
        return Response.fromResponse(Accepted.of(changed.operation())).tag(changed.etag()).build();
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "deleteInstance",
            summary = "Delete an instance", description = "Stops it and removes everything it had on its host.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response delete(@PathParam("id") UUID id) {
        return Accepted.of(service.delete(id));
    }

    /** @param name the snapshot's name, a DNS label */
    public record SnapshotRequest(@jakarta.validation.constraints.NotBlank @jakarta.validation.constraints.Size(max = 63)
                                  @jakarta.validation.constraints.Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                                          message = "must be a DNS label") String name) {
    }

    /** @param schedule the schedule that took it ({@code hourly}, {@code daily}, {@code weekly}), absent when a person did */
    @Schema(requiredProperties = {"name"})
    public record SnapshotView(String name, java.time.Instant createdAt,
                               @Schema(enumeration = {"hourly", "daily", "weekly"}) String schedule) {
    }

    @GET
    @Path("/{id}/snapshots")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listInstanceSnapshots", summary = "List an instance's snapshots")
    public Items<SnapshotView> snapshots(@PathParam("id") UUID id) {
        return new Items<>(service.snapshots(id).stream()
                .map(snapshot -> new SnapshotView(snapshot.name, snapshot.createdAt, snapshot.schedule)).toList());
    }

    @POST
    @Path("/{id}/snapshot")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "snapshotInstance", summary = "Take a snapshot of the instance's storage",
            description = "Counts against the snapshots quota. Honours Idempotency-Key.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    @APIResponse(responseCode = "422", description = "The Idempotency-Key was used for another request")
    public Response snapshot(@PathParam("id") UUID id, @Valid @NotNull SnapshotRequest request,
                             @HeaderParam(IdempotentRequests.HEADER) String idempotencyKey) {
        return idempotent.run(idempotencyKey, "POST /api/v1/instances/" + id + "/snapshot", request,
                () -> Accepted.of(service.snapshot(id, request.name())));
    }

    @DELETE
    @Path("/{id}/snapshots/{name}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "deleteInstanceSnapshot",
            summary = "Delete a snapshot", description = "It counts against the snapshots quota until it is destroyed.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response deleteSnapshot(@PathParam("id") UUID id, @PathParam("name") String name) {
        return Accepted.of(service.deleteSnapshot(id, name));
    }

    /** @param image an image reference ({@code name}, {@code name/channel}, {@code name@version}); absent: the instance's own */
    public record RebuildRequest(@jakarta.validation.constraints.Size(max = 200) String image) {
    }

    @POST
    @Path("/{id}/rebuild")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "rebuildInstance", summary = "Give an instance a fresh disk from an image",
            description = "Keeps id, name, address, sizes and keys; the old disk and its snapshots are destroyed.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response rebuild(@PathParam("id") UUID id, RebuildRequest request) {
        return Accepted.of(service.rebuild(id, request == null ? null : request.image()));
    }

    @POST
    @Path("/{id}/rollback")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "rollbackInstance",
            summary = "Roll the instance's storage back to a snapshot", description = "Later snapshots are destroyed.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response rollback(@PathParam("id") UUID id, @Valid @NotNull SnapshotRequest request) {
        return Accepted.of(service.rollback(id, request.name()));
    }

    @POST
    @Path("/{id}/start")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "startInstance", summary = "Start an instance")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response start(@PathParam("id") UUID id) {
        return Accepted.of(service.act(id, "start"));
    }

    @POST
    @Path("/{id}/stop")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "stopInstance",
            summary = "Stop an instance", description = "Asks it to stop, and forces it after 30 seconds.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response stop(@PathParam("id") UUID id) {
        return Accepted.of(service.act(id, "stop"));
    }

    @POST
    @Path("/{id}/restart")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "restartInstance", summary = "Restart an instance")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response restart(@PathParam("id") UUID id) {
        return Accepted.of(service.act(id, "restart"));
    }
}
