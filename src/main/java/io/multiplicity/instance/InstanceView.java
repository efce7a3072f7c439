package io.multiplicity.instance;

import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An instance as the API shows it. */
@Schema(requiredProperties = {"id", "name", "kind", "image", "vcpus", "memoryMiB", "diskGiB", "desiredState",
        "state", "createdAt", "updatedAt"})
public record InstanceView(
        UUID id,
        String name,
        String tenant,
        @Schema(enumeration = {"jail", "vm"}) String kind,
        String type,
        String image,
        String imageVersion,
        int vcpus,
        int memoryMiB,
        int diskGiB,
        @Schema(enumeration = {"stopped", "running", "deleted"}) String desiredState,
        @Schema(enumeration = {"provisioning", "stopped", "starting", "running", "stopping", "crashed", "error",
                "deleting", "deleted", "unknown"}) String state,
        String stateDetail,
        @Schema(enumeration = {"never", "on-failure", "always"}) String restartPolicy,
        int restarts,
        String host,
        String address,
        Instant createdAt,
        Instant updatedAt) {
}
