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
}
