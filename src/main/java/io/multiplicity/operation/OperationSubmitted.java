package io.multiplicity.operation;

import java.util.UUID;

/** CDI event fired when an operation is created; the worker is woken once the transaction commits. */
public record OperationSubmitted(UUID operationId) {
}
