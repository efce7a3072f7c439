package io.multiplicity.operation;

/**
 * Runs operations of one kind. Handlers are found by {@link #kind()}.
 *
 * <p>A <em>resumable</em> handler is idempotent: running it again after a crash, from the start,
 * converges to the same result. The worker resumes such operations after losing their worker and
 * fails the others with the reason.
 */
public interface OperationHandler {

    String kind();

    boolean resumable();

    /** Does the work; throws to fail the operation with the exception's message. */
    void run(OperationContext context) throws Exception;

    /** Called after the operation failed or was cancelled, to record the outcome on the target. */
    default void afterFailure(OperationContext context, String reason) {
    }
}
