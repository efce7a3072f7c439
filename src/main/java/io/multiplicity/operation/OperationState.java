package io.multiplicity.operation;

/** pending → running → succeeded | failed | cancelled */
public final class OperationState {

    public static final String PENDING = "pending";
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";

    private OperationState() {
    }

    public static boolean isTerminal(String state) {
        return SUCCEEDED.equals(state) || FAILED.equals(state) || CANCELLED.equals(state);
    }
}
