package io.multiplicity.instance;

import java.time.Instant;
import java.util.UUID;

/** An instance as the API shows it. */
public record InstanceView(
        UUID id,
        String name,
        String tenant,
        String kind,
        String type,
        String image,
        String imageVersion,
        int vcpus,
        int memoryMiB,
        int diskGiB,
        String desiredState,
        String state,
        String stateDetail,
        String restartPolicy,
        int restarts,
        String host,
        String address,
        Instant createdAt,
        Instant updatedAt) {
}
