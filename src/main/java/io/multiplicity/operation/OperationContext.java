package io.multiplicity.operation;

import java.util.Map;
import java.util.UUID;

/** What a handler sees of the operation it runs. */
public interface OperationContext {

    UUID operationId();

    UUID tenantId();

    UUID targetId();

    Map<String, Object> input();

    /** How many times the operation has been started, 1 on the first run. */
    int attempt();

    /** Records progress (0–100) where clients polling the operation see it. */
    void progress(int percent);

    /**
     * Records progress (0–100) and what it counts ({@code {"bytesFetched": …, "bytesTotal": …}}), both
     * shown with the operation.
     */
    void progress(int percent, Map<String, Object> detail);

    /** Throws {@link OperationCancelledException} when someone asked to cancel the operation. */
    void checkCancelled();

    /**
     * A write that belongs to the operation's success: made in the transaction that records it as
     * succeeded, right after the fenced update found the operation still this worker's, so the two
     * commit together (a worker that lost the operation to another makes neither). Not made when the
     * operation fails or is cancelled; the handler's clean-up settles what it left.
     */
    void onSuccess(Runnable write);
}
