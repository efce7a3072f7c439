package io.multiplicity.operation;

/** Thrown by a handler at a safe point after cancellation was requested. */
public class OperationCancelledException extends RuntimeException {

    public OperationCancelledException() {
        super("cancelled on request");
    }
}
