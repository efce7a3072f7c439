package io.multiplicity.operation;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An operation as the API shows it. */
@Schema(requiredProperties = {"id", "kind", "state", "progress", "cancelRequested", "attempts", "createdAt",
        "updatedAt"})
public record OperationView(
        UUID id,
        String kind,
        String targetType,
        UUID target,
        @Schema(enumeration = {"pending", "running", "succeeded", "failed", "cancelled"}) String state,
        int progress,
        Map<String, Object> progressDetail,
        String error,
        boolean cancelRequested,
        int attempts,
        String requestedBy,
        Map<String, Object> input,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt) {

    public static OperationView of(Operation operation) {
        return new OperationView(operation.id, operation.kind, operation.targetType, operation.targetId, operation.state,
                operation.progress, operation.progressDetail, operation.error, operation.cancelRequested, operation.attempts,
                operation.requestedByName, operation.input, operation.createdAt, operation.startedAt,
                operation.finishedAt, operation.updatedAt);
    }
}
