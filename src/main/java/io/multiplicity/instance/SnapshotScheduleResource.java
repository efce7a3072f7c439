package io.multiplicity.instance;

import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** An instance's snapshot schedule: how many hourly, daily and weekly snapshots to keep. */
@Path("/api/v1/instances/{id}/snapshot-schedule")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "instances")
public class SnapshotScheduleResource {

    /** How many snapshots of each period to keep; 0 takes none (and prunes those the schedule took before). */
    public record ScheduleRequest(@NotNull @Min(0) @Max(168) Integer hourly, @NotNull @Min(0) @Max(90) Integer daily,
                                  @NotNull @Min(0) @Max(52) Integer weekly) {
    }

    /** The schedule, with when it was last changed (absent while it was never set). */
    @Schema(requiredProperties = {"hourly", "daily", "weekly"})
    public record ScheduleView(int hourly, int daily, int weekly, java.time.Instant updatedAt) {
    }

    @Inject
    SnapshotScheduleService service;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getSnapshotSchedule", summary = "An instance's snapshot schedule")
    public ScheduleView get(@PathParam("id") UUID id) {
        return service.view(id);
    }

    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "setSnapshotSchedule", summary = "Set an instance's snapshot schedule",
            description = "One snapshot per hour, day and week (UTC) where its count is above 0, the newest kept;"
                    + " scheduled snapshots count against the snapshots quota like any other.")
    public ScheduleView set(@PathParam("id") UUID id, @Valid @NotNull ScheduleRequest request) {
        return service.set(id, request);
    }
}
